// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the embedded server's HTTP decisions (routing, paths,
// Origin). The input is "method \n path \n origin \n host".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz-util.h"
#include "http-route.h"

using namespace webrtclive;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::vector<std::string> f = fuzz_fields(data, size, '\n', 4);
  Route r = route_request(f[0], f[1]);
  if (r.kind == Route::File) {
    // Never a file outside the root or a dotfile.
    if (r.path.empty() || r.path[0] != '/' || r.path.find("/.") != std::string::npos) abort();
  }
  (void)content_type_for(f[1]);
  const std::vector<std::string> allowed = {"https://app.example"};
  (void)origin_allowed(f[2].c_str(), f[3].c_str(), size & 1, allowed);
  if (origin_allowed("null", f[3].c_str(), false, {})) abort();
  return 0;
}
