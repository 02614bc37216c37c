// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server-files.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

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

namespace {

// Whether the private key in `key_pem` is the one of the first (leaf)
// certificate in `cert_pem`. Both were parsed by GLib already.
bool key_matches(const std::string &cert_pem, const std::string &key_pem) {
  BIO *cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO *kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509 *x509 = cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr;
  EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr;
  bool ok = x509 && key && X509_check_private_key(x509, key) == 1;
  ERR_clear_error();  // OpenSSL's error queue is per thread: leave it empty
  EVP_PKEY_free(key);
  X509_free(x509);
  BIO_free(kb);
  BIO_free(cb);
  return ok;
}

}  // namespace

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
  std::string pem[2];
  for (int i = 0; i < 2; i++) {
    const auto &[what, path] = files[i];
    GError *err = nullptr;
    gchar *contents = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(path->c_str(), &contents, &length, &err)) {
      *error = std::string("cannot read the TLS ") + what + " file '" + *path + "': " + err->message;
      g_error_free(err);
      return {};
    }
    pem[i].assign(contents, length);
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
  auto owned = GRef<GTlsCertificate>::adopt(cert);
  // GLib takes any well-formed key; a key of another certificate would only
  // show as every browser's handshake failing.
  if (!key_matches(pem[0], pem[1])) {
    *error = "the TLS key file '" + key_file + "' does not belong to the certificate in '" + cert_file + "'";
    return {};
  }
  return owned;
}

}  // namespace webrtclive
