/* fake-search — POST /v1.0/search/query over chat messages (simple KQL). */
#include "fake-graph/fake-internal.h"

void
fake_search_query (FakeReq *req, FakeResp *resp)
{
  fake_resp_error (req, resp, 501, "NotImplemented", "search is not implemented yet");
}

const FakeRoute fake_misc_routes[] = {
  { "POST", "/v1.0/search/query", fake_search_query },
  { NULL, NULL, NULL },
};
