// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: JSON Web Token verification (libjwt underneath) of
// tokens an attacker sends; none may be accepted without the secret.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth.h"

using namespace webrtclive;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const JwtConfig config{"HS256", "fuzzing-secret-that-is-32-bytes-long!!"};
  std::string why;
  auto grant = verify_jwt(config, std::string(reinterpret_cast<const char *>(data), size), 1800000000, &why);
  if (grant && why.size()) abort();
  return 0;
}
