/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "mcam-net.h"
#include "mcam-memory.h"

G_BEGIN_DECLS

/* Every explanation method, with the names DESIGN 5 gives them. */
typedef enum
{
  MCAM_METHOD_MCAM,           /* the paper's: w_k = exp(cos(f_k, S_n,k) / T) */
  MCAM_METHOD_MCAM_PROFILE,   /* our variant: slot-profile weights (DESIGN 4.5) */
  MCAM_METHOD_CAM,
  MCAM_METHOD_GRADCAM,
  MCAM_METHOD_GRADCAM_PP,
  MCAM_METHOD_HIRESCAM,
  MCAM_METHOD_XGRADCAM,
  MCAM_METHOD_LAYERCAM,
  MCAM_METHOD_EIGENCAM,
  MCAM_METHOD_EIGENGRADCAM,
  MCAM_METHOD_ABLATIONCAM,
  MCAM_METHOD_SCORECAM,
  MCAM_N_METHODS
} McamMethod;

const char *mcam_method_get_name  (McamMethod m);   /* "mcam", "gradcam++", ... */
const char *mcam_method_get_label (McamMethod m);   /* "M-CAM (paper)", ... for people */
gboolean    mcam_method_from_name (const char *name, McamMethod *out);
gboolean    mcam_method_needs_memory (McamMethod m);

/* One image, analysed once: the backbone's f and logits, and (with a memory)
 * the memory module's read-out. Every map of every class and method comes
 * from this without another backbone pass (except the perturbation methods). */
typedef struct
{
  McamNet    *net;        /* borrowed */
  McamMemory *memory;     /* borrowed, may be NULL */
  int c, h, w, n_classes, n_slots;

  float *features;        /* f [c,h,w] */
  float *logits;          /* target network [C] */
  float *scores;          /* sigmoid / softmax of logits */
  float *q;               /* GAP(f) [c] */
  /* with a memory, else NULL: */
  float *p;               /* key address [N] */
  float *p_s;             /* spatial address [N] */
  float *v;               /* read value [c] */
  float *memory_logits;   /* z [C] */
  float *memory_scores;   /* sigmoid(z) [C]: the memory classifier is trained with BCE */
} McamAnalysis;

/* Forward pass of a preprocessed [1,3,H,W] input (or of an image, preprocessed
 * with the network's metadata). */
McamAnalysis *mcam_analysis_new_from_input (McamNet *net, McamMemory *memory,
                                            const McamTensor *input,
                                            GCancellable *cancellable, GError **error);
McamAnalysis *mcam_analysis_new (McamNet *net, McamMemory *memory, const McamImage *image,
                                 GCancellable *cancellable, GError **error);
/* From features already computed (cache, tests): copies f, runs the heads. */
McamAnalysis *mcam_analysis_new_from_features (McamNet *net, McamMemory *memory,
                                               const float *features);
void          mcam_analysis_free (McamAnalysis *a);

typedef struct
{
  guint64 seed;           /* slot search noise (Algorithm 1) */
  int     draws;          /* R >= 1, Δ averaged over R draws; 1 = the paper */
  float   temperature;    /* T of DESIGN 4.5; 1 */
  int     slot;           /* -1: Algorithm 1 chooses; >= 0: use this slot */
  gboolean use_memory_classifier; /* baselines: explain z instead of the target net */
  int     top_k_channels; /* Score-CAM/Ablation-CAM: 0 = all channels */
  const McamImage *image; /* perturbation methods need the image; may be NULL */
  /* A re-fit head (mcam-head.h) explained instead of the network's own by
   * cam and every baseline (not with use_memory_classifier); NULL: the
   * network's head. Borrowed. */
  const struct _McamHead *head;
} McamExplainOptions;

void mcam_explain_options_init (McamExplainOptions *opts);   /* the defaults above */

typedef struct
{
  McamMethod method;
  int   class_index;
  int   h, w;
  float *map;        /* [h,w] at feature resolution, after the ReLU, before upsampling */
  gboolean any_positive;  /* FALSE when the map has no positive value (shown as such) */
  float *weights;    /* [c] channel weights, or NULL where the method has none */
  int   c;
  /* M-CAM methods only (else slot = -1, arrays NULL): */
  int   slot;        /* n_ĉ (0-based) */
  int   n_slots;
  float *delta;      /* [N] Δ_i of Algorithm 1 */
  float *p_value;    /* [N] p' of G(e_ĉ) */
} McamExplanation;

McamExplanation *mcam_explain (McamAnalysis *a, int class_index, McamMethod method,
                               const McamExplainOptions *opts, GCancellable *cancellable,
                               GError **error);
void             mcam_explanation_free (McamExplanation *e);

/* Results that must be finite (mcam-finite.c): finite weights of 1e30 can
 * overflow float32 in use. FALSE with MCAM_ERROR_VALUE naming the file (the
 * model's, or the memory module's for its own tensors; NULL: the net's own
 * path, or "in the model file" for an embedded memory) and the first
 * non-finite tensor: f, q, logits, scores, p, p_s, v, z, memory scores; then
 * Δ, p', the weights and the map of an explanation. */
gboolean mcam_analysis_check_finite    (const McamAnalysis *a, const char *model_path,
                                        const char *memory_path, GError **error);
gboolean mcam_explanation_check_finite (const McamExplanation *e, const McamAnalysis *a,
                                        const char *model_path, const char *memory_path,
                                        GError **error);

/* Every class of the analysis by one method: element k is what
 * mcam_explain (a, k, method, ...) gives (within float rounding), and the
 * array owns them. The gradient-based baselines share their work across
 * classes (a few matrix products for all of them) and EigenCAM's one map is
 * computed once; other methods go class by class. */
GPtrArray       *mcam_explain_all_classes (McamAnalysis *a, McamMethod method,
                                           const McamExplainOptions *opts,
                                           GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamAnalysis, mcam_analysis_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McamExplanation, mcam_explanation_free)

G_END_DECLS
