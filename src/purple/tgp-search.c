/* tgp-search — /search in Teams conversations (see tgp-search.h). */
#include "purple/tgp-search.h"

#include <string.h>

#include "core/tg-search.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-commands.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-message.h"

#define DBG "teams-graph"
#define SEARCH_DATA_KEY "tgp-search"
#define RESULTS_PER_PAGE 10
#define LINE_CHARS 200
/* Command errors are shown as markup by some clients and as text by others: no angle brackets. */
#define USAGE "Usage: /search WORDS [from:USER] [since:DATE] [until:DATE] " \
              "(dates as YYYY-MM-DD), then /search more for the next results."

/* The last search of a conversation. */
typedef struct {
  char *chat_id;
  char *kql;
  char *typed;            /* the search as typed, for the lines shown */
  guint next_from;        /* Graph's cursor */
  gboolean more;
  guint shown;            /* results shown so far */
  GHashTable *shown_ids;  /* their message ids: Graph's offsets move when new hits arrive */
  guint generation;       /* which search an answer belongs to */
  gboolean busy;
} SearchState;

/* A search on its way, finding its conversation again afterwards. */
typedef struct {
  TgpConvRef conv;
  guint generation;
} Pending;

static int signal_handle;           /* our handle for the conversation signal */
static gboolean signals_connected;
static guint last_generation;

static void
search_state_free (SearchState *st)
{
  if (st == NULL)
    return;
  g_free (st->chat_id);
  g_free (st->kql);
  g_free (st->typed);
  g_hash_table_destroy (st->shown_ids);
  g_free (st);
}

static void
on_deleting_conversation (PurpleConversation *conv, gpointer data)
{
  SearchState *st = purple_conversation_get_data (conv, SEARCH_DATA_KEY);

  if (st != NULL)
    {
      purple_conversation_set_data (conv, SEARCH_DATA_KEY, NULL);
      search_state_free (st);
    }
}

/* A new state for `conv` (replacing an older one). The signal is connected on first use:
 * protocol plugins load before libpurple registers the conversation signals. */
static SearchState *
search_state_new (PurpleConversation *conv, const char *chat_id)
{
  SearchState *st = g_new0 (SearchState, 1);

  if (!signals_connected)
    {
      purple_signal_connect (purple_conversations_get_handle (), "deleting-conversation",
                             &signal_handle, PURPLE_CALLBACK (on_deleting_conversation), NULL);
      signals_connected = TRUE;
    }
  on_deleting_conversation (conv, NULL);
  st->chat_id = g_strdup (chat_id);
  st->shown_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  purple_conversation_set_data (conv, SEARCH_DATA_KEY, st);
  return st;
}

void
tgp_search_plugin_unload (void)
{
  if (!signals_connected)
    return;
  for (GList *l = purple_get_conversations (); l != NULL; l = l->next)
    on_deleting_conversation (l->data, NULL);
  purple_signals_disconnect_by_handle (&signal_handle);
  signals_connected = FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

/* "2024-05-01 10:20  Bob Jones: text" (local time, markup). */
static char *
hit_line (const TgSearchHit *hit)
{
  const TgMessage *msg = hit->message;
  gint64 created = msg != NULL && msg->created != 0 ? msg->created : hit->created;
  time_t t = (time_t) (created / G_USEC_PER_SEC);
  struct tm tm;
  const char *author = NULL;
  g_autofree char *text = NULL, *when = NULL, *esc_author = NULL, *esc_text = NULL;

  if (msg != NULL && msg->from_display_name != NULL && *msg->from_display_name != '\0')
    author = msg->from_display_name;
  else if (hit->from_name != NULL && *hit->from_name != '\0')
    author = hit->from_name;
  else if (hit->from_address != NULL && *hit->from_address != '\0')
    author = hit->from_address;
  else
    author = "someone";
  if (msg != NULL && msg->is_deleted)
    text = g_strdup ("(deleted a message)");
  else if (msg != NULL)
    text = tgp_message_excerpt (msg, LINE_CHARS);
  else
    text = tgp_message_one_line (hit->summary, LINE_CHARS);
  when = created > 0 && localtime_r (&t, &tm) != NULL
         ? g_strdup (purple_utf8_strftime ("%Y-%m-%d %H:%M", &tm)) : g_strdup ("?");
  esc_author = g_markup_escape_text (author, -1);
  esc_text = g_markup_escape_text (text, -1);
  return g_strdup_printf ("%s  <b>%s</b>: %s", when, esc_author, esc_text);
}

static void
show_page (PurpleConversation *conv, SearchState *st, const TgSearchPage *page)
{
  g_autofree char *head = NULL;
  g_autoptr (GPtrArray) fresh = g_ptr_array_new ();

  st->next_from = page->next_from;
  st->more = page->more;
  for (guint i = 0; i < page->hits->len; i++)
    {
      TgSearchHit *hit = g_ptr_array_index (page->hits, i);

      if (g_hash_table_add (st->shown_ids, g_strdup (hit->message_id)))
        g_ptr_array_add (fresh, hit);
    }
  if (fresh->len == 0)
    {
      g_autofree char *line = NULL;

      if (page->more)
        line = g_strdup_printf ("No%s messages of this chat match %s among the next %u results "
                                "of your Teams search; /search more looks further.",
                                st->shown > 0 ? " more" : "", st->typed,
                                TG_SEARCH_GRAPH_PAGE * TG_SEARCH_MAX_SCAN);
      else
        line = g_strdup_printf ("No%s messages match %s.", st->shown > 0 ? " more" : "",
                                st->typed);
      tgp_conv_feedback (conv, FALSE, "%s", line);
      return;
    }
  head = g_strdup_printf ("%s matching %s (%u–%u):", st->shown > 0 ? "More messages" : "Messages",
                          st->typed, st->shown + 1, st->shown + fresh->len);
  tgp_conv_feedback (conv, FALSE, "%s", head);
  for (guint i = 0; i < fresh->len; i++)
    {
      g_autofree char *line = hit_line (g_ptr_array_index (fresh, i));

      tgp_conv_write_html (conv, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG, line, time (NULL));
    }
  st->shown += fresh->len;
  tgp_conv_feedback (conv, FALSE, page->more ? "Type /search more for more results."
                                             : "End of results.");
}

/* ------------------------------------------------------------------------------------------ */
/* The search                                                                                  */

static void
pending_free (Pending *p)
{
  tgp_conv_ref_clear (&p->conv);
  g_free (p);
}

static void
on_search_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *p = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSearchPage) page = NULL;
  PurpleConversation *conv;
  SearchState *st;

  if (tgp_account_is_closed (p->conv.ta))
    {
      pending_free (p);
      return;
    }
  page = tg_search_messages_finish (p->conv.ta->graph, result, &error);
  conv = tgp_conv_ref_get (&p->conv);
  st = conv != NULL ? purple_conversation_get_data (conv, SEARCH_DATA_KEY) : NULL;
  if (st == NULL || st->generation != p->generation)
    {
      /* The window was closed, or a newer search replaced this one. */
      pending_free (p);
      return;
    }
  st->busy = FALSE;
  if (page == NULL)
    {
      purple_debug_info (DBG, "search failed: %s\n", error->message);
      tgp_conv_feedback (conv, TRUE, "Search failed: %s", error->message);
    }
  else
    show_page (conv, st, page);
  pending_free (p);
}

static void
start_search (TgpAccount *ta, PurpleConversation *conv, SearchState *st)
{
  Pending *p = g_new0 (Pending, 1);

  st->generation = ++last_generation;
  st->busy = TRUE;
  tgp_conv_ref_init (&p->conv, ta, conv);
  p->generation = st->generation;
  tg_search_messages_async (ta->graph, st->kql, st->chat_id, st->next_from, RESULTS_PER_PAGE,
                            ta->cancellable, on_search_done, p);
}

static PurpleCmdRet
search_more (TgpAccount *ta, PurpleConversation *conv, const char *chat_id, char **error)
{
  SearchState *st = purple_conversation_get_data (conv, SEARCH_DATA_KEY);

  if (st == NULL || g_strcmp0 (st->chat_id, chat_id) != 0)
    {
      *error = g_strdup ("There is no search to continue here: start one with /search WORDS.");
      return PURPLE_CMD_RET_FAILED;
    }
  if (st->busy)
    {
      *error = g_strdup ("The search is still running.");
      return PURPLE_CMD_RET_FAILED;
    }
  if (!st->more)
    {
      g_autofree char *line = g_strdup_printf ("No more messages match %s.", st->typed);

      tgp_conv_feedback (conv, FALSE, "%s", line);
      return PURPLE_CMD_RET_OK;
    }
  start_search (ta, conv, st);
  return PURPLE_CMD_RET_OK;
}

PurpleCmdRet
tgp_search_command (TgpAccount *ta, PurpleConversation *conv, const char *args, char **error)
{
  g_autofree char *line = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (TgSearchQuery) query = NULL;
  g_autofree char *kql = NULL;
  const char *chat_id = tgp_chat_conv_chat_id (conv);
  SearchState *st;

  /* An "s" argument is the plain text typed (the markup form goes to "S"): taken as it is. */
  line = g_strstrip (g_strdup (args != NULL ? args : ""));
  if (*line == '\0')
    {
      *error = g_strdup (USAGE);
      return PURPLE_CMD_RET_FAILED;
    }
  if (chat_id == NULL)
    {
      *error = g_strdup ("There is no Teams chat with this person yet.");
      return PURPLE_CMD_RET_FAILED;
    }
  if (g_ascii_strcasecmp (line, "more") == 0)
    return search_more (ta, conv, chat_id, error);
  query = tg_search_query_parse (line, &local);
  if (query != NULL)
    kql = tg_search_build_kql (query->text, query->from, query->since, query->until, &local);
  if (kql == NULL)
    {
      *error = g_strdup_printf ("%s. %s", local->message, USAGE);
      return PURPLE_CMD_RET_FAILED;
    }
  st = search_state_new (conv, chat_id);
  st->kql = g_steal_pointer (&kql);
  st->typed = g_strdup_printf ("“%s”", line);
  purple_debug_misc (DBG, "search in %s\n", chat_id);
  start_search (ta, conv, st);
  return PURPLE_CMD_RET_OK;
}
