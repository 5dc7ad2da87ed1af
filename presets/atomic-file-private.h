/* Shared by the atomic writer and the cleaner of its leftovers. */
#pragma once

/* Temporary files are ".NAME" GCP_TEMP_INFIX "XXXXXX", XXXXXX from mkstemp. */
#define GCP_TEMP_INFIX ".gcut-"
#define GCP_TEMP_RANDOM 6
