// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server-files.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <utility>

namespace webrtclive {

std::vector<std::string> interface_addresses() {
  std::vector<std::string> out;
  struct ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (auto *ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
    if (!(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK)) continue;
    char buf[INET_ADDRSTRLEN];
    auto *sin = reinterpret_cast<struct sockaddr_in *>(ifa->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) out.emplace_back(buf);
  }
  freeifaddrs(list);
  return out;
}

// Loads a PEM certificate and key; on failure says which file and why.
GRef<GTlsCertificate> load_certificate(const std::string &cert_file, const std::string &key_file,
                                       std::string *error) {
  if (cert_file.empty() || key_file.empty()) {
    *error = cert_file.empty() ? "a TLS key file was given without a certificate file"
                               : "a TLS certificate file was given without a key file";
    return {};
  }
  if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
    *error = "TLS is not available in this GLib (install glib-networking)";
    return {};
  }
  const std::pair<const char *, const std::string *> files[] = {{"certificate", &cert_file}, {"key", &key_file}};
  for (const auto &[what, path] : files) {
    GError *err = nullptr;
    gchar *contents = nullptr;
    if (!g_file_get_contents(path->c_str(), &contents, nullptr, &err)) {
      *error = std::string("cannot read the TLS ") + what + " file '" + *path + "': " + err->message;
      g_error_free(err);
      return {};
    }
    g_free(contents);
  }
  GError *err = nullptr;
  GTlsCertificate *cert = g_tls_certificate_new_from_files(cert_file.c_str(), key_file.c_str(), &err);
  if (!cert) {
    *error = "cannot use the TLS certificate '" + cert_file + "' with the key '" + key_file +
             "': " + (err ? err->message : "unknown error");
    if (err) g_error_free(err);
    return {};
  }
  return GRef<GTlsCertificate>::adopt(cert);
}

}  // namespace webrtclive
