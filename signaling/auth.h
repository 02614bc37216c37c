// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JSON Web Tokens (libjwt) for the signalling servers: who may produce or
// consume, which producer names, until when. The claim this reads:
//
//   { "exp": 1767225600,                        (required: seconds since 1970)
//     "nbf": 1767139200,                        (optional)
//     "webrtclive": { "roles": ["producer", "consumer"],
//                     "names": ["cam", "door-*"] } }   (none = any name)
//
// Only the configured algorithm is accepted (an HS256 token "signed" with
// an RS256 public key as its secret, or "alg": "none", is refused).
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <vector>

namespace webrtclive {

struct JwtConfig {
  std::string algorithm;  // "HS256", "RS256" or "ES256"; "" = JWT off
  std::string key;        // the HS256 secret, or the PEM public key
  bool enabled() const { return !algorithm.empty(); }
};

// What a verified token allows.
struct Grant {
  bool produce = false;
  bool consume = false;  // consumer and listener roles
  std::vector<std::string> names;  // producer names ("x*" = prefix); empty = any
  gint64 expires_at = 0;           // seconds since 1970
  bool allows_name(const std::string &name) const;
};

// Loads the key of a JwtConfig from `path`; false and `error` when it
// cannot be read or the algorithm is unknown.
bool load_jwt_config(const std::string &algorithm, const std::string &path, JwtConfig *config, std::string *error);

// Verifies `token` at `now` (seconds since 1970). Returns the grant, or
// nothing and a reason fit for an HTTP 401 body ("the token expired").
std::optional<Grant> verify_jwt(const JwtConfig &config, const std::string &token, gint64 now, std::string *why);

// Whether `token` looks like a JWT (three base64url parts).
bool looks_like_jwt(const std::string &token);

}  // namespace webrtclive
