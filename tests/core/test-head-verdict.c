/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The re-fit lens's verdict (mcam-head-verdict.h) on tallies made by the
 * core's own pointing game (mcam_pointing_tally_add) from maps whose peak is
 * placed by hand: on the class's object, on another class's object, on the
 * background, or nowhere (an all-zero map). Each case's rates, the place
 * the network head's maps go instead, and the words are known in advance. */

#include "config.h"

#include <string.h>

#include "mcam/mcam-head-verdict.h"

#define SIDE 40

static const char *const classes[] = { "Sneaker", "Ankle boot", "Bag", NULL };
/* A Sneaker top left, an Ankle boot bottom right; Bag never has a box. */
static const McamBox boxes[] = {
  { 0, 0, 0, 10, 10 },
  { 1, 30, 30, 40, 40 },
};

typedef enum { ON_SNEAKER, ON_BOOT, ON_BACKGROUND, NO_MAP } Place;

/* n maps of class 0 (Sneaker) peaking at `place`, into the tally. */
static void
add_maps (McamPointingTally *t, Place place, int n)
{
  static const int peak[3][2] = { { 5, 5 }, { 35, 35 }, { 20, 0 } };

  for (int i = 0; i < n; i++)
    {
      g_autofree float *map = g_new0 (float, SIDE * SIDE);

      if (place != NO_MAP)
        map[peak[place][1] * SIDE + peak[place][0]] = 1.0f;
      mcam_pointing_tally_add (t, boxes, G_N_ELEMENTS (boxes), 0, map, SIDE, SIDE, 0.0);
    }
}

typedef struct
{
  const char         *name;
  int                 net[4];      /* maps per Place under the network's head */
  int                 refit[4];    /* ... under the re-fit head */
  McamHeadVerdictKind kind;
  int                 elsewhere;   /* landing column, -1 none */
  const char         *elsewhere_name;
  const char         *text;
} Case;

static const Case cases[] = {
  { "relies on another class", { 1, 3, 0, 0 }, { 3, 1, 0, 0 }, MCAM_HEAD_VERDICT_HEAD_BIAS, 1,
    "Ankle boot", "the features locate Sneaker; the network's head relies on Ankle boot "
    "(head bias)" },
  { "background", { 0, 0, 4, 0 }, { 4, 0, 0, 0 }, MCAM_HEAD_VERDICT_HEAD_BIAS, 3,
    "background", "the features locate Sneaker; the network's head looks at the background "
    "(head bias)" },
  { "no positive value", { 0, 0, 1, 3 }, { 4, 0, 0, 0 }, MCAM_HEAD_VERDICT_HEAD_BIAS, 4,
    "no positive value", "the features locate Sneaker; the network's head gives it no "
    "positive evidence anywhere (head bias)" },
  { "neither", { 0, 4, 0, 0 }, { 1, 3, 0, 0 }, MCAM_HEAD_VERDICT_NEITHER, 1, "Ankle boot",
    "neither head locates Sneaker (the features do not separate it)" },
  /* Half the pairs counts as locating. */
  { "both, at the boundary", { 2, 2, 0, 0 }, { 2, 0, 2, 0 }, MCAM_HEAD_VERDICT_BOTH, 1,
    "Ankle boot", "both heads locate Sneaker" },
  { "network only", { 3, 0, 1, 0 }, { 1, 0, 3, 0 }, MCAM_HEAD_VERDICT_NETWORK_ONLY, 3,
    "background", "the network's head locates Sneaker and the re-fit head does not (the "
    "re-fit images may not show Sneaker well enough)" },
  /* A tie between the boot and the background: the lower column, the class. */
  { "tie", { 0, 2, 2, 0 }, { 4, 0, 0, 0 }, MCAM_HEAD_VERDICT_HEAD_BIAS, 1, "Ankle boot",
    "the features locate Sneaker; the network's head relies on Ankle boot (head bias)" },
  { "never elsewhere", { 4, 0, 0, 0 }, { 4, 0, 0, 0 }, MCAM_HEAD_VERDICT_BOTH, -1, NULL,
    "both heads locate Sneaker" },
};

static void
test_cases (void)
{
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const Case *c = &cases[k];
      g_autoptr(McamPointingTally) net = mcam_pointing_tally_new (3);
      g_autoptr(McamPointingTally) refit = mcam_pointing_tally_new (3);
      g_auto(McamHeadVerdict) v = { 0 };
      int n_net = 0, n_refit = 0;

      for (int p = 0; p < 4; p++)
        {
          add_maps (net, p, c->net[p]);
          add_maps (refit, p, c->refit[p]);
          n_net += c->net[p];
          n_refit += c->refit[p];
        }
      g_test_message ("case %s", c->name);
      g_assert_true (mcam_head_verdict_make (&v, net, refit, 0, classes));
      g_assert_cmpint (v.class_index, ==, 0);
      g_assert_cmpint (v.pairs, ==, n_refit);
      g_assert_cmpfloat_with_epsilon (v.own_network, (double) c->net[ON_SNEAKER] / n_net, 1e-12);
      g_assert_cmpfloat_with_epsilon (v.own_refit, (double) c->refit[ON_SNEAKER] / n_refit,
                                      1e-12);
      g_assert_cmpint (v.kind, ==, c->kind);
      g_assert_cmpint (v.elsewhere, ==, c->elsewhere);
      g_assert_cmpstr (v.elsewhere_name, ==, c->elsewhere_name);
      g_assert_cmpstr (v.text, ==, c->text);
    }
}

/* A class without pairs has no verdict. */
static void
test_no_pairs (void)
{
  g_autoptr(McamPointingTally) net = mcam_pointing_tally_new (3);
  g_autoptr(McamPointingTally) refit = mcam_pointing_tally_new (3);
  g_auto(McamHeadVerdict) v = { 0 };

  add_maps (net, ON_BOOT, 2);
  add_maps (refit, ON_SNEAKER, 2);
  g_assert_false (mcam_head_verdict_make (&v, net, refit, 2, classes));
  g_assert_null (v.text);
  g_assert_cmpint (v.pairs, ==, 0);
}

static void
test_reads_head (void)
{
  for (int m = 0; m < MCAM_N_METHODS; m++)
    {
      gboolean want = m != MCAM_METHOD_MCAM && m != MCAM_METHOD_MCAM_PROFILE &&
                      m != MCAM_METHOD_EIGENCAM;

      g_assert_cmpint (mcam_method_reads_head (m), ==, want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mcam/head/verdict/cases", test_cases);
  g_test_add_func ("/mcam/head/verdict/no-pairs", test_no_pairs);
  g_test_add_func ("/mcam/head/verdict/reads-head", test_reads_head);
  return g_test_run ();
}
