/* tgp-plugin — registration of the prpl-teams-graph protocol plugin with libpurple 2:
 * plugin and protocol info, account options, status types, chat components.
 *
 * EXTEND HERE: modules built on the shell add their prpl callbacks to `prpl_info` below
 * (send_im, join_chat, get_chat_name, chat_send, set_status, blist_node_menu, actions…);
 * register only what really works.
 */
#include <string.h>

#include <purple.h>

#include "purple/tgp-account.h"
#include "purple/tgp-all-messages.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-commands.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-im.h"
#include "purple/tgp-search.h"
#include "purple/tgp-recent.h"
#include "purple/tgp-members.h"
#include "purple/tgp-presence.h"
#include "purple/tgp-profiles.h"

#define TGP_VERSION "0.1"
#define DBG "teams-graph"
/* The core logs (g_debug and friends) under this GLib domain; it is forwarded to purple's
 * debug log so that the client's debug window shows it. */
#define TGP_LOG_DOMAIN "teams-graph"

static guint log_handler_id;

/* ------------------------------------------------------------------------------------------ */
/* Protocol callbacks                                                                          */

static const char *
tgp_list_icon (PurpleAccount *account, PurpleBuddy *buddy)
{
  return "teams-graph";
}

static GList *
tgp_status_types (PurpleAccount *account)
{
  GList *types = NULL;

  /* Graph availability: Available, Away/BeRightBack, Busy, DoNotDisturb, Offline; the activity
   * and the Teams status message ("In a meeting · Working from home") are the "message"
   * attribute (tgp-presence.c). */
#define WITH_MESSAGE "message", "Message", purple_value_new (PURPLE_TYPE_STRING), NULL
  types = g_list_append (types, purple_status_type_new_with_attrs (PURPLE_STATUS_AVAILABLE, "available",
                                                                   NULL, TRUE, TRUE, FALSE, WITH_MESSAGE));
  types = g_list_append (types, purple_status_type_new_with_attrs (PURPLE_STATUS_AWAY, "away",
                                                                   NULL, TRUE, TRUE, FALSE, WITH_MESSAGE));
  types = g_list_append (types, purple_status_type_new_with_attrs (PURPLE_STATUS_UNAVAILABLE, "busy",
                                                                   "Busy", TRUE, TRUE, FALSE, WITH_MESSAGE));
  types = g_list_append (types, purple_status_type_new_with_attrs (PURPLE_STATUS_UNAVAILABLE, "dnd",
                                                                   "Do not disturb", TRUE, TRUE, FALSE,
                                                                   WITH_MESSAGE));
  types = g_list_append (types, purple_status_type_new_with_attrs (PURPLE_STATUS_OFFLINE, "offline",
                                                                   NULL, TRUE, TRUE, FALSE, WITH_MESSAGE));
#undef WITH_MESSAGE
  /* Buddies whose presence is not known (yet): listed, not claimed available (tgp-blist.h). */
  types = g_list_append (types, purple_status_type_new_full (PURPLE_STATUS_AWAY, "unknown",
                                                             "Presence unknown", FALSE, FALSE, FALSE));
  return types;
}

/* Chat components (DESIGN.md): `id` (the Graph chat id) and `topic`. Either one is enough to
 * join. bitlbee calls this with a NULL connection: it must not touch `gc`. */
static GList *
tgp_plugin_chat_info (PurpleConnection *gc)
{
  GList *entries = NULL;
  struct proto_chat_entry *pce;

  pce = g_new0 (struct proto_chat_entry, 1);
  pce->label = "Chat _ID:";
  pce->identifier = "id";
  pce->required = FALSE;
  entries = g_list_append (entries, pce);

  pce = g_new0 (struct proto_chat_entry, 1);
  pce->label = "_Topic:";
  pce->identifier = "topic";
  pce->required = FALSE;
  entries = g_list_append (entries, pce);
  return entries;
}

/* A name typed into a client's "join chat" box: Graph chat ids start with "19:"; anything else
 * is taken as a topic. */
static GHashTable *
tgp_plugin_chat_info_defaults (PurpleConnection *gc, const char *chat_name)
{
  GHashTable *defaults = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (chat_name != NULL && *chat_name != '\0')
    {
      if (g_str_has_prefix (chat_name, "19:"))
        g_hash_table_insert (defaults, "id", g_strdup (chat_name));
      else
        g_hash_table_insert (defaults, "topic", g_strdup (chat_name));
    }
  return defaults;
}

/* Account actions (the client's account menu; context = the PurpleConnection). */
static GList *
tgp_plugin_actions (PurplePlugin *plugin, gpointer context)
{
  GList *actions = NULL;

  actions = g_list_append (actions, purple_plugin_action_new ("New group chat…",
                                                              tgp_members_action_new_group_chat));
  actions = g_list_append (actions, purple_plugin_action_new (TGP_ACTION_SEARCH_USERS,
                                                             tgp_profiles_search_action));
  actions = g_list_append (actions, tgp_all_messages_action_new ());
  return actions;
}

/* ------------------------------------------------------------------------------------------ */
/* Plugin life cycle                                                                           */

static void
forward_core_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  PurpleDebugLevel purple_level;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    purple_level = PURPLE_DEBUG_ERROR;
  else if (level & G_LOG_LEVEL_WARNING)
    purple_level = PURPLE_DEBUG_WARNING;
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    purple_level = PURPLE_DEBUG_INFO;
  else
    purple_level = PURPLE_DEBUG_MISC;
  purple_debug (purple_level, domain != NULL ? domain : DBG, "%s\n", message);
  /* Criticals and warnings still reach GLib's default handler (and G_DEBUG=fatal-*). */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    g_log_default_handler (domain, level, message, data);
}

static gboolean
tgp_plugin_load (PurplePlugin *plugin)
{
  /* libsoup 3 and GLib types registered by the core must never be unloaded. */
  if (plugin->handle != NULL)
    g_module_make_resident (plugin->handle);
  if (log_handler_id == 0)
    log_handler_id = g_log_set_handler (TGP_LOG_DOMAIN, G_LOG_LEVEL_MASK, forward_core_log, NULL);
  tgp_chat_plugin_load (plugin);
  tgp_commands_register ();
  return TRUE;
}

static gboolean
tgp_plugin_unload (PurplePlugin *plugin)
{
  tgp_commands_unregister ();
  tgp_search_plugin_unload ();
  tgp_chat_plugin_unload (plugin);
  tgp_recent_clear_all ();
  if (log_handler_id != 0)
    g_log_remove_handler (TGP_LOG_DOMAIN, log_handler_id);
  log_handler_id = 0;
  return TRUE;
}

static PurplePluginProtocolInfo prpl_info = {
  /* No password is asked for: the remembered password holds the refresh token
   * (OPT_PROTO_NO_PASSWORD is part of the external contract). */
  .options = OPT_PROTO_NO_PASSWORD | OPT_PROTO_CHAT_TOPIC
             | OPT_PROTO_UNIQUE_CHATNAME    /* participants by UPN; aliases from get_cb_alias */
             | OPT_PROTO_IM_IMAGE,          /* images in IMs: sent as hostedContents (tgp-images) */
  /* Buddy icons are the users' 48×48 Teams photos (tgp-avatars); our own is not uploaded. */
  .icon_spec = { "png,jpeg,gif,bmp", 0, 0, 96, 96, 0, PURPLE_ICON_SCALE_DISPLAY },
  .list_icon = tgp_list_icon,
  .status_types = tgp_status_types,
  .status_text = tgp_presence_status_text,
  .tooltip_text = tgp_presence_tooltip_text,
  .chat_info = tgp_plugin_chat_info,
  .chat_info_defaults = tgp_plugin_chat_info_defaults,
  .login = tgp_account_login,
  .close = tgp_account_close,
  .join_chat = tgp_chat_join,
  .get_chat_name = tgp_chat_get_name,
  .chat_leave = tgp_chat_leave,
  .chat_send = tgp_chat_send,
  .chat_invite = tgp_members_chat_invite,
  .blist_node_menu = tgp_members_blist_node_menu,
  .set_chat_topic = tgp_chat_set_topic,
  .roomlist_get_list = tgp_chat_roomlist_get_list,
  .roomlist_cancel = tgp_chat_roomlist_cancel,
  .get_cb_alias = tgp_chat_get_cb_alias,
  .send_im = tgp_im_send,
  .set_status = tgp_presence_set_status,
  .add_buddy = tgp_presence_add_buddy,
  .get_info = tgp_profiles_get_info,
  .normalize = tgp_blist_normalize,
  .offline_message = tgp_blist_offline_message,
  .struct_size = sizeof (PurplePluginProtocolInfo),
};

static PurplePluginInfo plugin_info = {
  .magic = PURPLE_PLUGIN_MAGIC,
  .major_version = PURPLE_MAJOR_VERSION,
  .minor_version = PURPLE_MINOR_VERSION,
  .type = PURPLE_PLUGIN_PROTOCOL,
  .priority = PURPLE_PRIORITY_DEFAULT,
  .id = TGP_PLUGIN_ID,
  .name = "Teams (Graph)",
  .version = TGP_VERSION,
  .summary = "Microsoft Teams chats through Microsoft Graph",
  .description = "Teams one-on-one, group and meeting chats as IMs and chat rooms, through the "
                 "public Microsoft Graph API, with device code sign-in.",
  .author = "purple-teams-graph developers",
  .homepage = "https://github.com/purple-teams-graph/purple-teams-graph",
  .load = tgp_plugin_load,
  .unload = tgp_plugin_unload,
  .extra_info = &prpl_info,
  .actions = tgp_plugin_actions,
};

static PurpleAccountOption *
list_option (const char *text, const char *key, ...)
{
  GList *items = NULL;
  va_list ap;
  const char *label;

  va_start (ap, key);
  while ((label = va_arg (ap, const char *)) != NULL)
    {
      PurpleKeyValuePair *kvp = g_new0 (PurpleKeyValuePair, 1);
      kvp->key = g_strdup (label);
      kvp->value = g_strdup (va_arg (ap, const char *));
      items = g_list_append (items, kvp);
    }
  va_end (ap);
  /* The first item is the default. */
  return purple_account_option_list_new (text, key, items);
}

static void
tgp_init_plugin (PurplePlugin *plugin)
{
  GList *options = NULL;

  options = g_list_append (options, purple_account_option_string_new (
                             "Graph URL", TGP_OPT_GRAPH_URL, TGP_DEFAULT_GRAPH_URL));
  options = g_list_append (options, purple_account_option_string_new (
                             "Login URL", TGP_OPT_LOGIN_URL, TGP_DEFAULT_LOGIN_URL));
  options = g_list_append (options, purple_account_option_string_new (
                             "Tenant", TGP_OPT_TENANT, TGP_DEFAULT_TENANT));
  options = g_list_append (options, purple_account_option_string_new (
                             "Client (application) ID", TGP_OPT_CLIENT_ID, TGP_DEFAULT_CLIENT_ID));
  options = g_list_append (options, purple_account_option_int_new (
                             "Poll interval (seconds)", TGP_OPT_POLL_INTERVAL,
                             TGP_DEFAULT_POLL_INTERVAL));
  options = g_list_append (options, purple_account_option_int_new (
                             "Presence interval (seconds)", TGP_OPT_PRESENCE_INTERVAL,
                             TGP_DEFAULT_PRESENCE_INTERVAL));
  options = g_list_append (options, list_option ("Sign-in method", TGP_OPT_AUTH_METHOD,
                                                 "Device code", TGP_AUTH_DEVICE_CODE,
                                                 "Browser (when device code sign-in is blocked)", TGP_AUTH_BROWSER,
                                                 NULL));
  prpl_info.protocol_options = options;
}

PURPLE_INIT_PLUGIN (teams_graph, tgp_init_plugin, plugin_info)
