// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client-common.h"

#include <algorithm>
#include <cmath>

namespace webrtclive {

unsigned backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, double random01) {
  double base = std::min<double>(max_ms, min_ms * std::pow(2.0, std::min(attempt, 30u)));
  double jittered = base * (0.5 + 0.5 * std::clamp(random01, 0.0, 1.0));
  return std::max(1u, static_cast<unsigned>(jittered));
}

std::string shown_url(const std::string &url) {
  std::string out = url.substr(0, url.find('?'));
  auto scheme = out.find("://");
  auto at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) out.erase(scheme + 3, at - scheme - 2);
  return out;
}

bool apply_ca_file(SoupSession *session, const std::string &ca_file, std::string *error) {
  if (ca_file.empty()) return true;
  GError *err = nullptr;
  GTlsDatabase *db = g_tls_file_database_new(ca_file.c_str(), &err);
  if (!db) {
    *error = "cannot read CA file '" + ca_file + "': " + (err ? err->message : "?");
    if (err) g_error_free(err);
    return false;
  }
  g_object_set(session, "tls-database", db, nullptr);
  g_object_unref(db);
  return true;
}

void accept_any_certificate(SoupMessage *msg) {
  g_signal_connect(msg, "accept-certificate",
                   G_CALLBACK(+[](SoupMessage *, GTlsCertificate *, GTlsCertificateFlags) -> gboolean { return TRUE; }),
                   nullptr);
}

}  // namespace webrtclive
