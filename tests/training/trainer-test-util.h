/* What the trainer tests share: their setup, and resume checked against an
 * uninterrupted run. */
#pragma once

#include "gct-trainer.h"
#include "test-memory.h"

/* g_test_init, GEGL, the CPU backend on 2 threads; returns a new temporary
 * folder named after `name`. */
char *gct_test_init (int *argc, char ***argv, const char *name);
/* Empties and removes the folder (and frees its name), then ends GEGL. */
void gct_test_finish (char *tmpdir);
GctImage *gct_test_image (const char *path);
/* A reader of the image file at path. */
GctImageReader *gct_test_reader (const char *path);
/* The recipe at path, which must run `steps` steps. */
GcpRecipe *gct_test_recipe (const char *path, int steps);
/* r runs `steps` steps uninterrupted, and again as `split` steps, a checkpoint
 * at ckpt, and the rest resumed from it: the loss histories must agree within
 * 1e-6.  The checkpoint is removed. */
void gct_test_check_resume (const GcpRecipe *r, GctImageReader *content,
                            GctImageReader *style, const char *ckpt, int split,
                            int steps);
