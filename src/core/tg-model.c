/* tg-model — Graph JSON → chats, members, messages, users (see tg-model.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-model.h"

#include <string.h>

#include "core/tg-json.h"
#include "core/tg-markup.h"

/* ------------------------------------------------------------------------------------------ */
/* times */

/* Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar. */
static gint64
days_from_civil (gint64 y, int m, int d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Reads exactly `n` digits; -1 when they are not there. */
static int
read_digits (const char **p, int n)
{
  int v = 0;

  for (int i = 0; i < n; i++)
    {
      char c = (*p)[i];

      if (c < '0' || c > '9')
        return -1;
      v = v * 10 + (c - '0');
    }
  *p += n;
  return v;
}

gint64
tg_time_parse (const char *iso)
{
  const char *p = iso;
  int year, mon, day, hour, min, sec;
  gint64 usec = 0, offset = 0, days, t;

  if (p == NULL)
    return 0;
  if ((year = read_digits (&p, 4)) < 0 || *p++ != '-' ||
      (mon = read_digits (&p, 2)) < 0 || *p++ != '-' || (day = read_digits (&p, 2)) < 0)
    return 0;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return 0;
  p++;
  if ((hour = read_digits (&p, 2)) < 0 || *p++ != ':' || (min = read_digits (&p, 2)) < 0)
    return 0;
  sec = 0;
  if (*p == ':')
    {
      p++;
      if ((sec = read_digits (&p, 2)) < 0)
        return 0;
    }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60)
    return 0;
  if (*p == '.' || *p == ',')
    {
      gint64 scale = 100000;

      p++;
      if (*p < '0' || *p > '9')
        return 0;
      for (; *p >= '0' && *p <= '9'; p++)
        {
          usec += (*p - '0') * scale;
          scale /= 10;
        }
    }
  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      int sign = *p == '-' ? -1 : 1, oh, om = 0;

      p++;
      if ((oh = read_digits (&p, 2)) < 0)
        return 0;
      if (*p == ':')
        p++;
      if (*p >= '0' && *p <= '9' && (om = read_digits (&p, 2)) < 0)
        return 0;
      if (oh > 23 || om > 59)
        return 0;
      offset = sign * (oh * 3600 + om * 60);
    }
  if (*p != '\0')
    return 0;
  if (year < 1970)
    return 0;
  days = days_from_civil (year, mon, day);
  t = days * 86400 + hour * 3600 + min * 60 + sec - offset;
  if (t <= 0)
    return 0;
  return t * G_USEC_PER_SEC + usec;
}

char *
tg_time_format (gint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *base = NULL;
  gint64 secs, frac;

  if (usec <= 0)
    return NULL;
  secs = usec / G_USEC_PER_SEC;
  frac = usec % G_USEC_PER_SEC;
  dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return NULL;
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  if (frac % 1000 == 0)
    return g_strdup_printf ("%s.%03dZ", base, (int) (frac / 1000));
  return g_strdup_printf ("%s.%06dZ", base, (int) frac);
}

/* ------------------------------------------------------------------------------------------ */
/* users and members */

static char **string_vector (JsonArray *array);

TgUser *
tg_user_new_from_json (JsonObject *obj)
{
  TgUser *user;
  const char *id = tg_json_string (obj, "id");

  if (id == NULL)
    return NULL;
  user = g_new0 (TgUser, 1);
  user->id = g_strdup (id);
  user->display_name = g_strdup (tg_json_string (obj, "displayName"));
  user->user_principal_name = g_strdup (tg_json_string (obj, "userPrincipalName"));
  user->mail = g_strdup (tg_json_string (obj, "mail"));
  user->job_title = g_strdup (tg_json_string (obj, "jobTitle"));
  user->user_type = g_strdup (tg_json_string (obj, "userType"));
  user->department = g_strdup (tg_json_string (obj, "department"));
  user->office_location = g_strdup (tg_json_string (obj, "officeLocation"));
  user->mobile_phone = g_strdup (tg_json_string (obj, "mobilePhone"));
  user->business_phones = string_vector (tg_json_array (obj, "businessPhones"));
  return user;
}

TgUser *
tg_user_copy (const TgUser *user)
{
  TgUser *copy;

  if (user == NULL)
    return NULL;
  copy = g_new0 (TgUser, 1);
  copy->id = g_strdup (user->id);
  copy->display_name = g_strdup (user->display_name);
  copy->user_principal_name = g_strdup (user->user_principal_name);
  copy->mail = g_strdup (user->mail);
  copy->job_title = g_strdup (user->job_title);
  copy->user_type = g_strdup (user->user_type);
  copy->department = g_strdup (user->department);
  copy->office_location = g_strdup (user->office_location);
  copy->mobile_phone = g_strdup (user->mobile_phone);
  copy->business_phones = g_strdupv (user->business_phones);
  return copy;
}

void
tg_user_free (TgUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->display_name);
  g_free (user->user_principal_name);
  g_free (user->mail);
  g_free (user->job_title);
  g_free (user->user_type);
  g_free (user->department);
  g_free (user->office_location);
  g_free (user->mobile_phone);
  g_strfreev (user->business_phones);
  g_free (user);
}

/* A NULL-terminated vector of the string elements of `array` (others skipped); never NULL. */
static char **
string_vector (JsonArray *array)
{
  guint n = tg_json_array_length (array);
  GStrvBuilder *b = g_strv_builder_new ();
  char **v;

  for (guint i = 0; i < n; i++)
    {
      const char *s = tg_json_array_string (array, i);

      if (s != NULL)
        g_strv_builder_add (b, s);
    }
  v = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return v;
}

TgMember *
tg_member_new_from_json (JsonObject *obj)
{
  TgMember *m;

  if (obj == NULL)
    return NULL;
  m = g_new0 (TgMember, 1);
  m->id = g_strdup (tg_json_string (obj, "id"));
  m->user_id = g_strdup (tg_json_string (obj, "userId"));
  m->display_name = g_strdup (tg_json_string (obj, "displayName"));
  m->email = g_strdup (tg_json_string (obj, "email"));
  m->tenant_id = g_strdup (tg_json_string (obj, "tenantId"));
  m->roles = string_vector (tg_json_array (obj, "roles"));
  m->visible_history_start = tg_time_parse (tg_json_string (obj, "visibleHistoryStartDateTime"));
  return m;
}

TgMember *
tg_member_copy (const TgMember *src)
{
  TgMember *m;

  if (src == NULL)
    return NULL;
  m = g_new0 (TgMember, 1);
  m->id = g_strdup (src->id);
  m->user_id = g_strdup (src->user_id);
  m->display_name = g_strdup (src->display_name);
  m->email = g_strdup (src->email);
  m->tenant_id = g_strdup (src->tenant_id);
  m->roles = g_strdupv (src->roles);
  if (m->roles == NULL)
    m->roles = g_new0 (char *, 1);
  m->visible_history_start = src->visible_history_start;
  return m;
}

void
tg_member_free (TgMember *m)
{
  if (m == NULL)
    return;
  g_free (m->id);
  g_free (m->user_id);
  g_free (m->display_name);
  g_free (m->email);
  g_free (m->tenant_id);
  g_strfreev (m->roles);
  g_free (m);
}

gboolean
tg_id_equal (const char *a, const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

gboolean
tg_member_has_role (const TgMember *m, const char *role)
{
  if (m == NULL || role == NULL || m->roles == NULL)
    return FALSE;
  for (char **r = m->roles; *r != NULL; r++)
    if (g_ascii_strcasecmp (*r, role) == 0)
      return TRUE;
  return FALSE;
}

gboolean
tg_member_matches (const TgMember *m, const char *ref)
{
  if (m == NULL || ref == NULL || *ref == '\0')
    return FALSE;
  if (tg_id_equal (m->user_id, ref))
    return TRUE;
  return m->email != NULL && g_ascii_strcasecmp (m->email, ref) == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* message parts */

static void
identity_clear (TgIdentity *id)
{
  g_clear_pointer (&id->id, g_free);
  g_clear_pointer (&id->display_name, g_free);
}

static void
identity_free (gpointer p)
{
  TgIdentity *id = p;

  identity_clear (id);
  g_free (id);
}

/* An identitySet ({user|application|device: {id, displayName}}): the user, else the
 * application, else the device. FALSE when none is there. */
static gboolean
identity_from_set (JsonObject *set, TgIdentity *out, gboolean *is_user)
{
  static const char *const kinds[] = { "user", "application", "device" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      JsonObject *o = tg_json_object (set, kinds[i]);

      if (o == NULL)
        continue;
      out->id = g_strdup (tg_json_string (o, "id"));
      out->display_name = g_strdup (tg_json_string (o, "displayName"));
      if (is_user != NULL)
        *is_user = i == 0;
      return TRUE;
    }
  return FALSE;
}

static void
reaction_free (gpointer p)
{
  TgReaction *r = p;

  g_free (r->reaction_type);
  g_free (r->display_name);
  identity_clear (&r->user);
  g_free (r);
}

static void
mention_free (gpointer p)
{
  TgMention *m = p;

  g_free (m->mention_text);
  g_free (m->user_id);
  g_free (m->conversation_id);
  g_free (m->display_name);
  g_free (m);
}

static void
attachment_free (gpointer p)
{
  TgAttachment *a = p;

  g_free (a->id);
  g_free (a->content_type);
  g_free (a->content_url);
  g_free (a->content);
  g_free (a->name);
  g_free (a->thumbnail_url);
  g_free (a);
}

static void
event_detail_free (TgEventDetail *e)
{
  if (e == NULL)
    return;
  g_free (e->odata_type);
  identity_clear (&e->initiator);
  g_ptr_array_unref (e->members);
  g_free (e->chat_display_name);
  g_free (e->call_duration);
  g_free (e);
}

static const struct
{
  const char *name;
  TgEventKind kind;
} event_names[] = {
  { "membersAdded", TG_EVENT_MEMBERS_ADDED },
  { "membersDeleted", TG_EVENT_MEMBERS_DELETED },
  { "membersJoined", TG_EVENT_MEMBERS_JOINED },
  { "membersLeft", TG_EVENT_MEMBERS_LEFT },
  { "chatRenamed", TG_EVENT_CHAT_RENAMED },
  { "messagePinned", TG_EVENT_MESSAGE_PINNED },
  { "messageUnpinned", TG_EVENT_MESSAGE_UNPINNED },
  { "callStarted", TG_EVENT_CALL_STARTED },
  { "callEnded", TG_EVENT_CALL_ENDED },
  { "callRecording", TG_EVENT_CALL_RECORDING },
  { "callTranscript", TG_EVENT_CALL_TRANSCRIPT },
  { "meetingPolicyUpdated", TG_EVENT_MEETING_POLICY_UPDATED },
  { "teamsAppInstalled", TG_EVENT_APP_INSTALLED },
  { "teamsAppRemoved", TG_EVENT_APP_REMOVED },
  { "teamsAppUpgraded", TG_EVENT_APP_UPGRADED },
  { "tabUpdated", TG_EVENT_TAB_UPDATED },
  { "chatCreated", TG_EVENT_CHAT_CREATED },
  { "conversationMemberRoleUpdated", TG_EVENT_OTHER },
};

/* "#microsoft.graph.membersAddedEventMessageDetail" → TG_EVENT_MEMBERS_ADDED. */
static TgEventKind
event_kind_from_type (const char *type)
{
  const char *name;
  gsize len;

  if (type == NULL)
    return TG_EVENT_OTHER;
  name = type;
  if (g_str_has_prefix (name, "#"))
    name++;
  if (g_str_has_prefix (name, "microsoft.graph."))
    name += strlen ("microsoft.graph.");
  len = strlen (name);
  if (g_str_has_suffix (name, "EventMessageDetail"))
    len -= strlen ("EventMessageDetail");
  for (guint i = 0; i < G_N_ELEMENTS (event_names); i++)
    if (strlen (event_names[i].name) == len && strncmp (event_names[i].name, name, len) == 0)
      return event_names[i].kind;
  return TG_EVENT_OTHER;
}

static TgEventDetail *
event_detail_new_from_json (JsonObject *obj)
{
  TgEventDetail *e = g_new0 (TgEventDetail, 1);
  JsonArray *members;
  guint n;

  e->members = g_ptr_array_new_with_free_func (identity_free);
  if (obj == NULL)
    {
      e->kind = TG_EVENT_OTHER;
      return e;
    }
  e->odata_type = g_strdup (tg_json_string (obj, "@odata.type"));
  e->kind = event_kind_from_type (e->odata_type);
  identity_from_set (tg_json_object (obj, "initiator"), &e->initiator, NULL);
  members = tg_json_array (obj, "members");
  n = tg_json_array_length (members);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *mo = tg_json_array_object (members, i);
      TgIdentity *id;

      if (mo == NULL)
        continue;
      id = g_new0 (TgIdentity, 1);
      id->id = g_strdup (tg_json_string (mo, "id"));
      id->display_name = g_strdup (tg_json_string (mo, "displayName"));
      g_ptr_array_add (e->members, id);
    }
  e->chat_display_name = g_strdup (tg_json_string (obj, "chatDisplayName"));
  e->call_duration = g_strdup (tg_json_string (obj, "callDuration"));
  e->visible_history_start = tg_time_parse (tg_json_string (obj, "visibleHistoryStartDateTime"));
  return e;
}

static TgMessageType
message_type_from_string (const char *s)
{
  if (s == NULL)
    return TG_MESSAGE_TYPE_UNKNOWN;
  if (strcmp (s, "message") == 0)
    return TG_MESSAGE_TYPE_MESSAGE;
  if (strcmp (s, "systemEventMessage") == 0)
    return TG_MESSAGE_TYPE_SYSTEM;
  if (strcmp (s, "chatEvent") == 0)
    return TG_MESSAGE_TYPE_CHAT_EVENT;
  if (strcmp (s, "typing") == 0)
    return TG_MESSAGE_TYPE_TYPING;
  return TG_MESSAGE_TYPE_UNKNOWN;
}

/* Ids of hosted contents the html references (".../hostedContents/<id>/$value"). */
static char **
hosted_content_ids (const char *html)
{
  static const char marker[] = "hostedContents/";
  GPtrArray *ids = g_ptr_array_new ();
  const char *p = html;

  while (p != NULL && (p = strstr (p, marker)) != NULL)
    {
      const char *start = p + strlen (marker), *end = start;
      gboolean dup = FALSE;

      while (*end != '\0' && *end != '/' && *end != '"' && *end != '\'' && *end != '>' &&
             *end != ' ')
        end++;
      for (guint i = 0; i < ids->len && !dup; i++)
        dup = strlen (ids->pdata[i]) == (gsize) (end - start) &&
              strncmp (ids->pdata[i], start, end - start) == 0;
      if (end > start && !dup)
        g_ptr_array_add (ids, g_strndup (start, end - start));
      p = end;
    }
  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_free (ids, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* messages */

static void
message_clear (TgMessage *msg)
{
  g_free (msg->id);
  g_free (msg->chat_id);
  g_free (msg->etag);
  g_free (msg->reply_to_id);
  g_free (msg->subject);
  g_free (msg->from_user_id);
  g_free (msg->from_display_name);
  g_free (msg->from_app_id);
  g_free (msg->from_app_name);
  g_free (msg->body);
  g_ptr_array_unref (msg->mentions);
  g_ptr_array_unref (msg->reactions);
  g_ptr_array_unref (msg->attachments);
  g_strfreev (msg->hosted_contents);
  event_detail_free (msg->event);
  g_free (msg->markup_);
}

TgMessage *
tg_message_new_from_json (JsonObject *obj, const char *chat_id)
{
  TgMessage *msg;
  const char *id = tg_json_string (obj, "id"), *s;
  JsonObject *from, *body;
  JsonArray *arr;
  guint n;

  if (id == NULL)
    return NULL;
  msg = g_rc_box_new0 (TgMessage);
  msg->id = g_strdup (id);
  s = tg_json_string (obj, "chatId");
  msg->chat_id = g_strdup (s != NULL ? s : chat_id);
  msg->etag = g_strdup (tg_json_string (obj, "etag"));
  msg->reply_to_id = g_strdup (tg_json_string (obj, "replyToId"));
  msg->subject = g_strdup (tg_json_string (obj, "subject"));
  msg->type = message_type_from_string (tg_json_string (obj, "messageType"));
  s = tg_json_string (obj, "importance");
  msg->importance = s == NULL ? TG_IMPORTANCE_NORMAL
                    : strcmp (s, "high") == 0 ? TG_IMPORTANCE_HIGH
                    : strcmp (s, "urgent") == 0 ? TG_IMPORTANCE_URGENT : TG_IMPORTANCE_NORMAL;
  msg->created = tg_time_parse (tg_json_string (obj, "createdDateTime"));
  msg->last_modified = tg_time_parse (tg_json_string (obj, "lastModifiedDateTime"));
  msg->last_edited = tg_time_parse (tg_json_string (obj, "lastEditedDateTime"));
  msg->deleted = tg_time_parse (tg_json_string (obj, "deletedDateTime"));
  msg->is_deleted = msg->deleted != 0 || tg_json_bool (obj, "isDeleted", FALSE);
  if (msg->last_modified == 0)
    msg->last_modified = MAX (msg->created, MAX (msg->last_edited, msg->deleted));

  from = tg_json_object (obj, "from");
  if (from != NULL)
    {
      JsonObject *u = tg_json_object (from, "user"), *a = tg_json_object (from, "application");

      if (u != NULL)
        {
          msg->from_user_id = g_strdup (tg_json_string (u, "id"));
          msg->from_display_name = g_strdup (tg_json_string (u, "displayName"));
        }
      if (a != NULL)
        {
          msg->from_app_id = g_strdup (tg_json_string (a, "id"));
          msg->from_app_name = g_strdup (tg_json_string (a, "displayName"));
          if (msg->from_display_name == NULL)
            msg->from_display_name = g_strdup (msg->from_app_name);
        }
    }

  body = tg_json_object (obj, "body");
  s = tg_json_string (body, "content");
  msg->body = g_strdup (s != NULL ? s : "");
  s = tg_json_string (body, "contentType");
  msg->content_type = s != NULL && g_ascii_strcasecmp (s, "html") == 0 ? TG_CONTENT_HTML
                                                                        : TG_CONTENT_TEXT;

  msg->mentions = g_ptr_array_new_with_free_func (mention_free);
  arr = tg_json_array (obj, "mentions");
  n = tg_json_array_length (arr);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *mo = tg_json_array_object (arr, i), *mentioned, *o;
      TgMention *m;

      if (mo == NULL)
        continue;
      m = g_new0 (TgMention, 1);
      m->id = (int) tg_json_int (mo, "id", (gint64) i);
      m->mention_text = g_strdup (tg_json_string (mo, "mentionText"));
      mentioned = tg_json_object (mo, "mentioned");
      if ((o = tg_json_object (mentioned, "user")) != NULL)
        {
          m->user_id = g_strdup (tg_json_string (o, "id"));
          m->display_name = g_strdup (tg_json_string (o, "displayName"));
        }
      else if ((o = tg_json_object (mentioned, "conversation")) != NULL)
        {
          m->conversation_id = g_strdup (tg_json_string (o, "id"));
          m->display_name = g_strdup (tg_json_string (o, "displayName"));
        }
      else if ((o = tg_json_object (mentioned, "application")) != NULL)
        m->display_name = g_strdup (tg_json_string (o, "displayName"));
      g_ptr_array_add (msg->mentions, m);
    }

  msg->reactions = g_ptr_array_new_with_free_func (reaction_free);
  arr = tg_json_array (obj, "reactions");
  n = tg_json_array_length (arr);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *ro = tg_json_array_object (arr, i);
      TgReaction *r;

      if (ro == NULL || tg_json_string (ro, "reactionType") == NULL)
        continue;
      r = g_new0 (TgReaction, 1);
      r->reaction_type = g_strdup (tg_json_string (ro, "reactionType"));
      r->display_name = g_strdup (tg_json_string (ro, "displayName"));
      r->created = tg_time_parse (tg_json_string (ro, "createdDateTime"));
      identity_from_set (tg_json_object (ro, "user"), &r->user, NULL);
      g_ptr_array_add (msg->reactions, r);
    }

  msg->attachments = g_ptr_array_new_with_free_func (attachment_free);
  arr = tg_json_array (obj, "attachments");
  n = tg_json_array_length (arr);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *ao = tg_json_array_object (arr, i);
      TgAttachment *a;

      if (ao == NULL)
        continue;
      a = g_new0 (TgAttachment, 1);
      a->id = g_strdup (tg_json_string (ao, "id"));
      a->content_type = g_strdup (tg_json_string (ao, "contentType"));
      a->content_url = g_strdup (tg_json_string (ao, "contentUrl"));
      a->content = g_strdup (tg_json_string (ao, "content"));
      a->name = g_strdup (tg_json_string (ao, "name"));
      a->thumbnail_url = g_strdup (tg_json_string (ao, "thumbnailUrl"));
      g_ptr_array_add (msg->attachments, a);
    }

  msg->hosted_contents = strstr (msg->body, "hostedContents/") != NULL
                           ? hosted_content_ids (msg->body) : g_new0 (char *, 1);

  if (msg->type == TG_MESSAGE_TYPE_SYSTEM || tg_json_object (obj, "eventDetail") != NULL)
    {
      msg->event = event_detail_new_from_json (tg_json_object (obj, "eventDetail"));
      /* Without Prefer: include-unknown-enum-members system events say unknownFutureValue. */
      if (msg->type == TG_MESSAGE_TYPE_UNKNOWN)
        msg->type = TG_MESSAGE_TYPE_SYSTEM;
    }
  return msg;
}

TgMessage *
tg_message_ref (TgMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return g_rc_box_acquire (msg);
}

void
tg_message_unref (TgMessage *msg)
{
  if (msg != NULL)
    g_rc_box_release_full (msg, (GDestroyNotify) message_clear);
}

gboolean
tg_message_is_system (const TgMessage *msg)
{
  return msg != NULL && (msg->type == TG_MESSAGE_TYPE_SYSTEM ||
                         msg->type == TG_MESSAGE_TYPE_CHAT_EVENT || msg->event != NULL);
}

guint64
tg_message_reactions_hash (const TgMessage *msg)
{
  guint64 sum = 0;

  if (msg == NULL)
    return 0;
  for (guint i = 0; i < msg->reactions->len; i++)
    {
      TgReaction *r = g_ptr_array_index (msg->reactions, i);
      guint64 h = 1469598103934665603ULL;   /* FNV-1a over type + NUL + user id */
      const char *parts[2] = { r->reaction_type, r->user.id };

      for (guint k = 0; k < 2; k++)
        {
          for (const char *p = parts[k] != NULL ? parts[k] : ""; *p != '\0'; p++)
            h = (h ^ (guchar) *p) * 1099511628211ULL;
          h = (h ^ 0xff) * 1099511628211ULL;
        }
      sum += h * 0x9e3779b97f4a7c15ULL + (h >> 29);
    }
  return sum + msg->reactions->len;
}

/* ---- system event text ---- */

static const char *
identity_name (const TgIdentity *id)
{
  if (id->display_name != NULL && *id->display_name != '\0')
    return id->display_name;
  if (id->id != NULL && *id->id != '\0')
    return id->id;
  return NULL;
}

/* "A", "A and B", "A, B and C"; "someone" when empty. */
static void
append_name_list (GString *s, GPtrArray *ids)
{
  guint n = ids->len;

  if (n == 0)
    {
      g_string_append (s, "someone");
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      const char *name = identity_name (g_ptr_array_index (ids, i));

      if (i > 0)
        g_string_append (s, i == n - 1 ? " and " : ", ");
      g_string_append (s, name != NULL ? name : "someone");
    }
}

/* "PT1H2M3.5S" → " (1 h 2 min 3 s)"; nothing when it does not parse. */
static void
append_duration (GString *s, const char *iso)
{
  const char *p = iso;
  double h = 0, m = 0, sec = 0;
  gboolean any = FALSE;

  if (p == NULL || *p++ != 'P')
    return;
  if (*p == 'T')
    p++;
  while (*p != '\0')
    {
      char *end;
      double v = g_ascii_strtod (p, &end);

      if (end == p)
        return;
      switch (*end)
        {
        case 'H': h = v; break;
        case 'M': m = v; break;
        case 'S': sec = v; break;
        default: return;
        }
      any = TRUE;
      p = end + 1;
    }
  if (!any)
    return;
  g_string_append (s, " (");
  if (h >= 1)
    g_string_append_printf (s, "%d h ", (int) h);
  if (m >= 1 || h >= 1)
    g_string_append_printf (s, "%d min ", (int) m);
  g_string_append_printf (s, "%d s)", (int) sec);
}

char *
tg_message_system_text (const TgMessage *msg)
{
  const TgEventDetail *e;
  const char *who, *kind;
  GString *s;

  if (msg == NULL || !tg_message_is_system (msg))
    return NULL;
  e = msg->event;
  if (e == NULL)
    return g_strdup ("Chat event");
  who = identity_name (&e->initiator);
  s = g_string_new (NULL);
  switch (e->kind)
    {
    case TG_EVENT_MEMBERS_ADDED:
      if (who != NULL)
        {
          g_string_append_printf (s, "%s added ", who);
          append_name_list (s, e->members);
        }
      else
        {
          append_name_list (s, e->members);
          g_string_append (s, e->members->len > 1 ? " were added" : " was added");
        }
      break;
    case TG_EVENT_MEMBERS_DELETED:
      if (who != NULL && e->members->len == 1 && ((TgIdentity *) e->members->pdata[0])->id != NULL &&
          g_strcmp0 (((TgIdentity *) e->members->pdata[0])->id, e->initiator.id) == 0)
        g_string_append_printf (s, "%s left the chat", who);
      else if (who != NULL)
        {
          g_string_append_printf (s, "%s removed ", who);
          append_name_list (s, e->members);
        }
      else
        {
          append_name_list (s, e->members);
          g_string_append (s, e->members->len > 1 ? " were removed" : " was removed");
        }
      break;
    case TG_EVENT_MEMBERS_JOINED:
      if (e->members->len > 0)
        append_name_list (s, e->members);
      else
        g_string_append (s, who != NULL ? who : "someone");
      g_string_append (s, " joined the chat");
      break;
    case TG_EVENT_MEMBERS_LEFT:
      if (e->members->len > 0)
        append_name_list (s, e->members);
      else
        g_string_append (s, who != NULL ? who : "someone");
      g_string_append (s, " left the chat");
      break;
    case TG_EVENT_CHAT_RENAMED:
      if (e->chat_display_name == NULL || *e->chat_display_name == '\0')
        g_string_append_printf (s, "%s removed the chat name", who != NULL ? who : "Someone");
      else if (who != NULL)
        g_string_append_printf (s, "%s renamed the chat to \"%s\"", who, e->chat_display_name);
      else
        g_string_append_printf (s, "The chat was renamed to \"%s\"", e->chat_display_name);
      break;
    case TG_EVENT_MESSAGE_PINNED:
    case TG_EVENT_MESSAGE_UNPINNED:
      kind = e->kind == TG_EVENT_MESSAGE_PINNED ? "pinned" : "unpinned";
      if (who != NULL)
        g_string_append_printf (s, "%s %s a message", who, kind);
      else
        g_string_append_printf (s, "A message was %s", kind);
      break;
    case TG_EVENT_CALL_STARTED:
      g_string_append (s, "Call started");
      break;
    case TG_EVENT_CALL_ENDED:
      g_string_append (s, "Call ended");
      append_duration (s, e->call_duration);
      break;
    case TG_EVENT_CALL_RECORDING:
      g_string_append (s, "Call recording");
      break;
    case TG_EVENT_CALL_TRANSCRIPT:
      g_string_append (s, "Call transcript");
      break;
    case TG_EVENT_MEETING_POLICY_UPDATED:
      g_string_append (s, "Meeting settings were updated");
      break;
    case TG_EVENT_APP_INSTALLED:
      g_string_append_printf (s, "%s added an app", who != NULL ? who : "Someone");
      break;
    case TG_EVENT_APP_REMOVED:
      g_string_append_printf (s, "%s removed an app", who != NULL ? who : "Someone");
      break;
    case TG_EVENT_APP_UPGRADED:
      g_string_append (s, "An app was updated");
      break;
    case TG_EVENT_TAB_UPDATED:
      g_string_append (s, "A tab was updated");
      break;
    case TG_EVENT_CHAT_CREATED:
      if (who != NULL)
        g_string_append_printf (s, "%s created the chat", who);
      else
        g_string_append (s, "The chat was created");
      break;
    case TG_EVENT_HISTORY_SHARED:
      g_string_append (s, "Chat history was shared");
      break;
    case TG_EVENT_NONE:
    case TG_EVENT_OTHER:
    default:
      {
        const char *t = e->odata_type != NULL ? e->odata_type : "";

        if (g_str_has_prefix (t, "#microsoft.graph."))
          t += strlen ("#microsoft.graph.");
        if (*t != '\0')
          g_string_append_printf (s, "Chat event (%.*s)", (int) (g_str_has_suffix (t, "EventMessageDetail")
                                                                ? strlen (t) - strlen ("EventMessageDetail")
                                                                : strlen (t)), t);
        else
          g_string_append (s, "Chat event");
      }
      break;
    }
  /* Capitalise a leading "someone". */
  if (s->len > 0 && s->str[0] == 's')
    s->str[0] = 'S';
  return g_string_free (s, FALSE);
}

/* ---- markup ---- */

char *
tg_model_body_to_markup (const char *content, gboolean is_html)
{
  if (content == NULL)
    return g_strdup ("");
  return is_html ? tg_markup_from_teams (content, NULL) : tg_markup_from_text (content);
}

/* <attachment id> in a body: the file's name, linked to its URL; a quoted message
 * (messageReference) shows nothing here. */
static gboolean
markup_attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  const TgMessage *msg = user_data;

  for (guint i = 0; id != NULL && i < msg->attachments->len; i++)
    {
      const TgAttachment *a = g_ptr_array_index (msg->attachments, i);

      if (g_strcmp0 (a->id, id) != 0)
        continue;
      if (g_strcmp0 (a->content_type, "messageReference") == 0)
        *name = "";
      else
        {
          *name = a->name != NULL ? a->name : "[attachment]";
          *url = a->content_url;
        }
      return TRUE;
    }
  return FALSE;
}

const char *
tg_message_markup (TgMessage *msg)
{
  if (msg == NULL)
    return "";
  if (msg->markup_ == NULL)
    {
      if (tg_message_is_system (msg))
        {
          g_autofree char *text = tg_message_system_text (msg);

          msg->markup_ = g_markup_escape_text (text != NULL ? text : "", -1);
        }
      else if (msg->is_deleted)
        msg->markup_ = g_strdup ("");
      else if (msg->content_type == TG_CONTENT_HTML)
        {
          TgMarkupContext ctx = { markup_attachment, NULL, msg };

          msg->markup_ = tg_markup_from_teams (msg->body, &ctx);
        }
      else
        msg->markup_ = tg_markup_from_text (msg->body);
    }
  return msg->markup_;
}

/* ------------------------------------------------------------------------------------------ */
/* chats */

const char *
tg_chat_type_to_string (TgChatType type)
{
  switch (type)
    {
    case TG_CHAT_TYPE_ONE_ON_ONE: return "oneOnOne";
    case TG_CHAT_TYPE_GROUP: return "group";
    case TG_CHAT_TYPE_MEETING: return "meeting";
    case TG_CHAT_TYPE_UNKNOWN:
    default: return "unknownFutureValue";
    }
}

TgChatType
tg_chat_type_from_string (const char *s)
{
  if (s == NULL)
    return TG_CHAT_TYPE_UNKNOWN;
  if (strcmp (s, "oneOnOne") == 0)
    return TG_CHAT_TYPE_ONE_ON_ONE;
  if (strcmp (s, "group") == 0)
    return TG_CHAT_TYPE_GROUP;
  if (strcmp (s, "meeting") == 0)
    return TG_CHAT_TYPE_MEETING;
  return TG_CHAT_TYPE_UNKNOWN;
}

static void
chat_clear (TgChat *chat)
{
  g_free (chat->id);
  g_free (chat->topic);
  g_free (chat->tenant_id);
  g_free (chat->web_url);
  g_ptr_array_unref (chat->members);
  if (chat->preview != NULL)
    tg_message_unref (chat->preview);
}

TgChat *
tg_chat_new_from_json (JsonObject *obj)
{
  const char *id = tg_json_string (obj, "id");
  JsonObject *viewpoint;
  JsonArray *members;
  TgChat *chat;

  if (id == NULL)
    return NULL;
  chat = g_rc_box_new0 (TgChat);
  chat->id = g_strdup (id);
  chat->type = tg_chat_type_from_string (tg_json_string (obj, "chatType"));
  chat->topic = g_strdup (tg_json_string (obj, "topic"));
  chat->tenant_id = g_strdup (tg_json_string (obj, "tenantId"));
  chat->web_url = g_strdup (tg_json_string (obj, "webUrl"));
  chat->created = tg_time_parse (tg_json_string (obj, "createdDateTime"));
  chat->last_updated = tg_time_parse (tg_json_string (obj, "lastUpdatedDateTime"));
  viewpoint = tg_json_object (obj, "viewpoint");
  chat->hidden = tg_json_bool (viewpoint, "isHidden", FALSE);
  chat->last_read = tg_time_parse (tg_json_string (viewpoint, "lastMessageReadDateTime"));
  chat->members = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_member_free);
  members = tg_json_array (obj, "members");
  chat->members_known = members != NULL;
  for (guint i = 0, n = tg_json_array_length (members); i < n; i++)
    {
      TgMember *m = tg_member_new_from_json (tg_json_array_object (members, i));

      if (m != NULL)
        g_ptr_array_add (chat->members, m);
    }
  chat->preview = tg_message_new_from_json (tg_json_object (obj, "lastMessagePreview"), id);
  return chat;
}

TgChat *
tg_chat_ref (TgChat *chat)
{
  g_return_val_if_fail (chat != NULL, NULL);
  return g_rc_box_acquire (chat);
}

void
tg_chat_unref (TgChat *chat)
{
  if (chat != NULL)
    g_rc_box_release_full (chat, (GDestroyNotify) chat_clear);
}

gboolean
tg_chat_is_unread (const TgChat *chat)
{
  return chat != NULL && chat->preview != NULL && chat->preview->created > chat->last_read;
}

TgMember *
tg_chat_find_member (const TgChat *chat, const char *ref)
{
  if (chat == NULL)
    return NULL;
  for (guint i = 0; i < chat->members->len; i++)
    if (tg_member_matches (g_ptr_array_index (chat->members, i), ref))
      return g_ptr_array_index (chat->members, i);
  return NULL;
}

TgMember *
tg_chat_other_member (const TgChat *chat, const char *me_id)
{
  if (chat == NULL)
    return NULL;
  for (guint i = 0; i < chat->members->len; i++)
    {
      TgMember *m = g_ptr_array_index (chat->members, i);

      if (m->user_id == NULL || tg_id_equal (m->user_id, me_id))
        continue;
      return m;
    }
  return NULL;
}

char *
tg_chat_title (const TgChat *chat, const char *me_id)
{
  GString *s;

  if (chat == NULL)
    return g_strdup ("");
  if (chat->topic != NULL && *chat->topic != '\0')
    return g_strdup (chat->topic);
  s = g_string_new (NULL);
  for (guint i = 0; i < chat->members->len; i++)
    {
      TgMember *m = g_ptr_array_index (chat->members, i);
      const char *name = m->display_name != NULL ? m->display_name : m->email;

      if (tg_id_equal (m->user_id, me_id))
        continue;
      if (name == NULL)
        continue;
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, name);
    }
  if (s->len == 0)
    g_string_append (s, chat->id);
  return g_string_free (s, FALSE);
}
