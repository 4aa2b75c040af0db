/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The public API of libmcam, the compute core. Never includes GTK. */
#include "mcam-error.h"
#include "mcam-tensor.h"
#include "mcam-safetensors.h"
#include "mcam-blas.h"
#include "mcam-image.h"
#include "mcam-net.h"
#include "mcam-memory.h"
#include "mcam-map.h"
#include "mcam-cam.h"
#include "mcam-health.h"
#include "mcam-dataset.h"
#include "mcam-train.h"
#include "mcam-metrics.h"
#include "mcam-json.h"
#include "mcam-head.h"
#include "mcam-head-verdict.h"
