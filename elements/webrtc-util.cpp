// SPDX-License-Identifier: LGPL-2.1-or-later
#include "webrtc-util.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <sstream>

namespace webrtclive {

void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice) {
  if (!ice.stun_server.empty()) g_object_set(webrtcbin, "stun-server", ice.stun_server.c_str(), nullptr);
  for (auto &turn : ice.turn_servers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtcbin, "add-turn-server", turn.c_str(), &ok);
    if (!ok) GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("Ignoring an invalid TURN server URL."), (nullptr));
  }
  if (ice.ice_addresses.empty()) return;
  GObject *agent = nullptr;
  g_object_get(webrtcbin, "ice-agent", &agent, nullptr);
  if (!agent) return;
  for (auto &addr : ice.ice_addresses) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(agent, "add-local-ip-address", addr.c_str(), &ok);
    if (!ok)
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("ICE cannot use local address '%s'.", addr.c_str()),
                          (nullptr));
  }
  g_object_unref(agent);
}

bool absorb_child_message(GstBin *bin, GstMessage *msg, const std::function<bool(GstMessage *)> &session_error) {
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
      return session_error(msg);
    case GST_MESSAGE_ASYNC_START:
    case GST_MESSAGE_ASYNC_DONE:
      return GST_MESSAGE_SRC(msg) != GST_OBJECT(bin);
    default:
      return false;
  }
}

void track_rtcp(GstElement *webrtcbin, std::shared_ptr<std::atomic<gint64>> last) {
  GstElement *rtpbin = gst_bin_get_by_name(GST_BIN(webrtcbin), "rtpbin");
  if (!rtpbin) return;
  using Last = std::shared_ptr<std::atomic<gint64>>;
  g_signal_connect_data(
      rtpbin, "on-ssrc-active",
      G_CALLBACK(+[](GstElement *, guint, guint, gpointer data) {
        static_cast<Last *>(data)->get()->store(g_get_monotonic_time());
      }),
      new Last(std::move(last)), [](gpointer d, GClosure *) { delete static_cast<Last *>(d); }, GConnectFlags(0));
  gst_object_unref(rtpbin);
}

GSource *watch_rtcp_silence(GMainContext *context, std::shared_ptr<std::atomic<gint64>> last, unsigned timeout_s,
                            std::function<void()> on_silent) {
  struct Watch {
    std::shared_ptr<std::atomic<gint64>> last;
    gint64 timeout_us;
    std::function<void()> on_silent;
  };
  last->store(g_get_monotonic_time());  // the clock starts now (at connect)
  GSource *t = g_timeout_source_new_seconds(1);
  g_source_set_callback(
      t,
      [](gpointer data) -> gboolean {
        auto *w = static_cast<Watch *>(data);
        if (g_get_monotonic_time() - w->last->load() < w->timeout_us) return G_SOURCE_CONTINUE;
        w->on_silent();
        return G_SOURCE_REMOVE;
      },
      new Watch{std::move(last), gint64(timeout_s) * G_USEC_PER_SEC, std::move(on_silent)},
      [](gpointer d) { delete static_cast<Watch *>(d); });
  g_source_attach(t, context);
  g_source_unref(t);
  return t;
}

std::optional<std::pair<std::string, std::string>> sdp_fingerprint(const std::string &sdp) {
  std::istringstream in(sdp);
  std::string line;
  std::optional<std::pair<std::string, std::string>> found;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("a=fingerprint:", 0) != 0) continue;
    std::string v = line.substr(14);
    auto sp = v.find(' ');
    if (sp == std::string::npos) continue;
    found = std::make_pair(v.substr(0, sp), v.substr(sp + 1));
    break;  // bundled: every m-line carries the same one
  }
  return found;
}

std::optional<std::string> pem_fingerprint(const std::string &pem, const std::string &hash) {
  GChecksumType type;
  std::string h = hash;
  for (auto &c : h) c = g_ascii_tolower(c);
  if (h == "sha-256")
    type = G_CHECKSUM_SHA256;
  else if (h == "sha-1")
    type = G_CHECKSUM_SHA1;
  else if (h == "sha-384")
    type = G_CHECKSUM_SHA384;
  else if (h == "sha-512")
    type = G_CHECKSUM_SHA512;
  else
    return std::nullopt;
  auto begin = pem.find("-----BEGIN CERTIFICATE-----");
  auto end = pem.find("-----END CERTIFICATE-----");
  if (begin == std::string::npos || end == std::string::npos) return std::nullopt;
  begin += 27;
  std::string b64;
  for (size_t i = begin; i < end; i++)
    if (!g_ascii_isspace(pem[i])) b64 += pem[i];
  gsize len = 0;
  guchar *der = g_base64_decode(b64.c_str(), &len);
  if (!der || len == 0) {
    g_free(der);
    return std::nullopt;
  }
  GChecksum *sum = g_checksum_new(type);
  g_checksum_update(sum, der, len);
  g_free(der);
  guint8 digest[64];
  gsize dlen = sizeof digest;
  g_checksum_get_digest(sum, digest, &dlen);
  g_checksum_free(sum);
  std::string out;
  char buf[4];
  for (gsize i = 0; i < dlen; i++) {
    g_snprintf(buf, sizeof buf, i ? ":%02X" : "%02X", digest[i]);
    out += buf;
  }
  return out;
}

std::optional<std::string> check_dtls_fingerprint(GstElement *webrtcbin, const std::string &remote_sdp) {
  auto announced = sdp_fingerprint(remote_sdp);
  if (!announced) return std::string("the peer's SDP has no a=fingerprint");
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name(webrtcbin, "get-transceiver", 0, &trans);
  if (!trans) return std::string("no transceiver to check");
  GstWebRTCRTPReceiver *receiver = nullptr;
  g_object_get(trans, "receiver", &receiver, nullptr);
  gst_object_unref(trans);
  GstWebRTCDTLSTransport *dtls = nullptr;
  if (receiver) {
    g_object_get(receiver, "transport", &dtls, nullptr);
    gst_object_unref(receiver);
  }
  if (!dtls) return std::string("no DTLS transport to check");
  gchar *pem = nullptr;
  g_object_get(dtls, "remote-certificate", &pem, nullptr);
  gst_object_unref(dtls);
  std::string cert = pem ? pem : "";
  g_free(pem);
  if (cert.empty()) return std::string("the peer presented no DTLS certificate");
  auto actual = pem_fingerprint(cert, announced->first);
  if (!actual) return "unsupported fingerprint hash '" + announced->first + "'";
  if (g_ascii_strcasecmp(actual->c_str(), announced->second.c_str()) != 0)
    return "the peer's DTLS certificate (" + announced->first + " " + *actual +
           ") is not the one its SDP announced (" + announced->second + ")";
  return std::nullopt;
}

}  // namespace webrtclive
