/* Throughput of tg-markup on typical chat messages (about 200 bytes each). Prints figures,
 * asserts nothing. The sync engine needs ≥ 50,000 messages/s in total. */
#include "core/tg-markup.h"

#include <stdio.h>
#include <string.h>

static const char *const teams_bodies[] = {
  "<p>Hi <at id=\"0\">Adele Vance</at>, can you review the Q3 budget draft before Friday? I left "
  "comments in the doc &amp; flagged two items for <at id=\"1\">Megan Bowen</at>.</p>",
  "<div><div>Sure, I will take a look this afternoon and get back to you with the numbers "
  "<emoji id=\"1f44d_thumbsup\" alt=\"👍\" title=\"Thumbs up\"></emoji></div></div>",
  "<p>Notes from the standup:</p><ul><li>ship &lt;v2&gt; on Monday</li><li>update the "
  "<a href=\"https://contoso.sharepoint.com/sites/eng/runbook\" title=\"runbook\">runbook</a>"
  "</li></ul>",
  "<blockquote itemscope=\"\" itemtype=\"http://schema.skype.com/Reply\" itemid=\"1616990032035\">"
  "<strong itemprop=\"mri\">Alice</strong><p itemprop=\"preview\">Are we still on for 3pm?</p>"
  "</blockquote><p>Yes, see you there</p>",
  "<p>The build failed with <code>error: expected ';'</code> again, here is the file "
  "<attachment id=\"153fa47d-18c9-4179-be08-9879815a9f90\"></attachment></p>",
};

static const char *const purple_bodies[] = {
  "Sure &amp; thanks, I will look at it this afternoon.<br>See <b>the doc</b> for details",
  "<font color=\"#000000\">plain message typed in Pidgin with &lt;angle&gt; brackets and a "
  "link http://example.com/?a=1&amp;b=2 in it</font>",
};

typedef char *(*Convert) (const char *in, gconstpointer ctx);

static char *
from_teams (const char *in, gconstpointer ctx)
{
  return tg_markup_from_teams (in, ctx);
}

static char *
to_plain (const char *in, gconstpointer ctx)
{
  return tg_markup_to_plain (in, ctx);
}

static char *
to_teams (const char *in, gconstpointer ctx)
{
  gboolean is_html;
  return tg_markup_to_teams (in, &is_html);
}

static gboolean
attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  *name = "build.log";
  *url = "https://contoso.sharepoint.com/sites/eng/build.log";
  return TRUE;
}

static void
bench (const char *label, Convert convert, const char *const *bodies, guint n_bodies)
{
  static const TgMarkupContext ctx = { attachment, NULL, NULL };
  gsize bytes_per_round = 0;
  guint64 rounds = 0;
  gint64 start = g_get_monotonic_time (), elapsed;

  for (guint i = 0; i < n_bodies; i++)
    bytes_per_round += strlen (bodies[i]);
  do {
    for (int k = 0; k < 1000; k++, rounds++)
      for (guint i = 0; i < n_bodies; i++)
        g_free (convert (bodies[i], &ctx));
    elapsed = g_get_monotonic_time () - start;
  } while (elapsed < G_USEC_PER_SEC);

  double secs = (double) elapsed / G_USEC_PER_SEC;
  printf ("%-22s %8.1f MB/s  %10.0f messages/s  (%zu-byte average)\n", label,
          (double) (rounds * bytes_per_round) / secs / 1e6, (double) (rounds * n_bodies) / secs,
          bytes_per_round / n_bodies);
}

int
main (void)
{
  bench ("tg_markup_from_teams", from_teams, teams_bodies, G_N_ELEMENTS (teams_bodies));
  bench ("tg_markup_to_plain", to_plain, teams_bodies, G_N_ELEMENTS (teams_bodies));
  bench ("tg_markup_to_teams", to_teams, purple_bodies, G_N_ELEMENTS (purple_bodies));
  return 0;
}
