/* gegl-cut engine: the whole public API. */
#pragma once

#include <gcut/gcut-error.h>
#include <gcut/gcut-backend.h>
#include <gcut/gcut-graph.h>
#include <gcut/gcut-math.h>
#include <gcut/gcut-plan.h>
#include <gcut/gcut-network.h>
