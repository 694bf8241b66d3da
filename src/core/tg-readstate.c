/* tg-readstate — the signed-in user's read marker of a chat (see tg-readstate.h). */
#include "tg-readstate.h"

#include "tg-chats.h"

void
tg_readstate_mark_read_async (TgGraph *graph, const char *chat_id, const char *user_id,
                              const char *tenant_id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = tg_chats_path (chat_id, "/markChatReadForUser");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, user_id != NULL ? user_id : "");
  if (tenant_id != NULL && *tenant_id != '\0')
    {
      json_builder_set_member_name (b, "tenantId");
      json_builder_add_string_value (b, tenant_id);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  tg_graph_post_async (graph, path, body, cancellable, callback, user_data);
}

gboolean
tg_readstate_mark_read_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  GError *local = NULL;
  JsonNode *node = tg_graph_send_finish (graph, result, NULL, &local);

  if (node != NULL)
    json_node_unref (node);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}
