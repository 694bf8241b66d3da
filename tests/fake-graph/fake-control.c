/* fake-control — /_fake/ endpoints that let other processes drive the emulator. */
#include "fake-graph/fake-internal.h"

void
fake_control_handle (FakeReq *req, FakeResp *resp)
{
  fake_resp_error (req, resp, 404, "NotFound", "no such control endpoint");
}
