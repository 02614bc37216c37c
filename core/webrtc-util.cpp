// SPDX-License-Identifier: LGPL-2.1-or-later
#include "webrtc-util.h"

#include <mutex>


#include <sys/resource.h>

#include <cstring>

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <sstream>

GST_DEBUG_CATEGORY_STATIC(webrtclive_ice_debug);

namespace webrtclive {

void configure_ice(GstElement *element, GstElement *webrtcbin, const IceSettings &ice) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(webrtclive_ice_debug, "webrtcliveice", 0, "webrtclive ICE servers of sessions");
    g_once_init_leave(&once, 1);
  }
  // The same servers and credentials a viewer gets from /ice-servers.json.
  ClientIce servers = make_client_ice(ice.servers, g_get_real_time() / G_USEC_PER_SEC);
  // And those a signaller learnt (a WHIP server's Link headers), with their own credentials.
  servers.servers.insert(servers.servers.end(), ice.learnt.begin(), ice.learnt.end());
  bool stun_set = false;
  unsigned turn_added = 0;
  for (const auto &server : servers.servers)
    for (const auto &text : server.urls) {
      std::string why;
      auto url = parse_ice_url(text, &why);
      if (!url) continue;  // make_client_ice() only gives parsed ones
      if (url->scheme == IceUrl::Scheme::Stun) {
        // webrtcbin takes one STUN server.
        if (!stun_set) g_object_set(webrtcbin, "stun-server", webrtcbin_ice_uri(*url, {}, {}).c_str(), nullptr);
        stun_set = true;
        continue;
      }
      gboolean ok = FALSE;
      const std::string uri = webrtcbin_ice_uri(*url, server.username, server.credential);
      g_signal_emit_by_name(webrtcbin, "add-turn-server", uri.c_str(), &ok);
      turn_added += ok ? 1 : 0;
      // The URL has no userinfo, the username is no secret; never the password.
      GST_CAT_INFO_OBJECT(webrtclive_ice_debug, element, "TURN server %s, username %s: %s", text.c_str(),
                          server.username.c_str(), ok ? "added" : "refused");
      if (!ok)
        GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("webrtcbin refused the TURN server %s.", text.c_str()),
                            (nullptr));
    }
  if (servers.transport_policy == "relay") {
    gst_util_set_object_arg(G_OBJECT(webrtcbin), "ice-transport-policy", "relay");
    // Relay-only without a relay gathers nothing: say so once per element.
    if (!turn_added && !g_object_get_data(G_OBJECT(element), "webrtclive-relay-warned")) {
      g_object_set_data(G_OBJECT(element), "webrtclive-relay-warned", GINT_TO_POINTER(1));
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS,
                          ("ice-transport-policy=relay but no TURN server is usable: no session can connect."),
                          ("set turn-servers (and turn-secret for ephemeral credentials)"));
    }
  }
  GObject *agent = nullptr;
  g_object_get(webrtcbin, "ice-agent", &agent, nullptr);
  if (!agent) return;
  // libnice agents search the LAN for UPnP routers by default (SSDP
  // multicast, sockets on every interface) and leak a little per agent in
  // gupnp: never wanted, even with candidates pinned (docs/webrtcbin-notes.md).
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "agent")) {
    GObject *nice = nullptr;
    g_object_get(agent, "agent", &nice, nullptr);
    if (nice && g_object_class_find_property(G_OBJECT_GET_CLASS(nice), "upnp"))
      g_object_set(nice, "upnp", FALSE, nullptr);
    if (nice) g_object_unref(nice);
  }
  for (auto &addr : ice.ice_addresses) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(agent, "add-local-ip-address", addr.c_str(), &ok);
    if (!ok)
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("ICE cannot use local address '%s'.", addr.c_str()),
                          (nullptr));
  }
  g_object_unref(agent);
}

CandidateVerdict check_remote_candidate(const std::string &candidate, unsigned mline_index, unsigned mlines,
                                        unsigned received) {
  using V = CandidateVerdict;
  if (received >= kMaxRemoteCandidates)
    return {V::EndSession, "more than " + std::to_string(kMaxRemoteCandidates) + " remote ICE candidates"};
  if (candidate.size() > kMaxCandidateBytes)
    return {V::EndSession, "an ICE candidate of " + std::to_string(candidate.size()) + " bytes (at most " +
                               std::to_string(kMaxCandidateBytes) + ")"};
  if (mline_index >= mlines)
    return {V::EndSession, "an ICE candidate for m-line " + std::to_string(mline_index) + " of " +
                               std::to_string(mlines)};
  if (candidate.empty()) return {V::Ignore, "end of candidates"};
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  gchar **f = g_strsplit(candidate.c_str(), " ", 0);
  const guint n = g_strv_length(f);
  auto digits = [](const char *s, size_t max) {
    size_t len = strlen(s);
    return len > 0 && len <= max && strspn(s, "0123456789") == len;
  };
  V verdict;
  if (n < 8 || !g_str_has_prefix(f[0], "candidate:") || strlen(f[0]) > 10 + 32 || !digits(f[1], 3) ||
      (g_ascii_strcasecmp(f[2], "udp") != 0 && g_ascii_strcasecmp(f[2], "tcp") != 0) || !digits(f[3], 10) ||
      !digits(f[5], 5) || atoi(f[5]) > 65535 || !g_str_equal(f[6], "typ")) {
    verdict = {V::Ignore, "not an ICE candidate"};
  } else if (g_str_has_suffix(f[4], ".local")) {
    verdict = {V::Ignore, "an mDNS candidate (webrtcbin 1.22 cannot resolve it)"};
  } else if (!g_hostname_is_ip_address(f[4])) {
    verdict = {V::Ignore, "a candidate whose address is not an IP address"};
  }
  g_strfreev(f);
  return verdict;
}

std::optional<std::string> descriptor_shortage(unsigned needed) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return std::nullopt;
  GDir *dir = g_dir_open("/proc/self/fd", 0, nullptr);
  if (!dir) return std::nullopt;  // not Linux: no way to count cheaply
  rlim_t open = 0;
  while (g_dir_read_name(dir)) open++;
  g_dir_close(dir);
  if (open + needed + kDescriptorReserve <= lim.rlim_cur) return std::nullopt;
  return std::to_string(open) + " of its " + std::to_string(lim.rlim_cur) +
         " file descriptors are in use (RLIMIT_NOFILE; raise it with ulimit -n to serve more)";
}

GstSDPMessage *parse_remote_sdp(const std::string &text) {
  if (text.empty()) return nullptr;
  GstSDPMessage *msg = nullptr;
  if (gst_sdp_message_new_from_text(text.c_str(), &msg) != GST_SDP_OK || !msg) return nullptr;
  if (gst_sdp_message_medias_len(msg) == 0) {
    gst_sdp_message_free(msg);
    return nullptr;
  }
  return msg;
}

unsigned count_mlines(const std::string &sdp) {
  unsigned n = sdp.rfind("m=", 0) == 0 ? 1 : 0;
  for (size_t at = sdp.find("\nm="); at != std::string::npos; at = sdp.find("\nm=", at + 1)) n++;
  return n;
}

unsigned prepare_dtls_certificate() {
  static std::once_flag once;
  unsigned spent = 0;
  std::call_once(once, [&spent] {
    const gint64 t0 = g_get_monotonic_time();
    // dtlsdec's init asks for the process-wide agent, which generates the
    // certificate once and keeps it for every later DTLS session.
    if (GstElement *dec = gst_element_factory_make("dtlsdec", nullptr)) gst_object_unref(gst_object_ref_sink(dec));
    spent = static_cast<unsigned>((g_get_monotonic_time() - t0) / 1000);
    GST_INFO("the process's DTLS certificate is ready (%u ms)", spent);
  });
  return spent;
}

void stop_child(GstElement *child) {
  gst_element_set_locked_state(child, TRUE);
  gst_element_set_state(child, GST_STATE_NULL);
}

void retire_child(GstBin *parent, GstElement *child) {
  stop_child(child);
  gst_bin_remove(parent, child);
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
  // The DTLS transport of the first transceiver (everything is bundled on
  // it), or of the SCTP association when the session carries only data.
  GstWebRTCDTLSTransport *dtls = nullptr;
  GstWebRTCRTPTransceiver *trans = nullptr;
  GArray *all = nullptr;  // asked first: get-transceiver logs an ERROR for a missing index
  g_signal_emit_by_name(webrtcbin, "get-transceivers", &all);
  if (all && all->len > 0) g_signal_emit_by_name(webrtcbin, "get-transceiver", 0, &trans);
  if (all) g_array_unref(all);
  if (trans) {
    GstWebRTCRTPReceiver *receiver = nullptr;
    g_object_get(trans, "receiver", &receiver, nullptr);
    gst_object_unref(trans);
    if (receiver) {
      g_object_get(receiver, "transport", &dtls, nullptr);
      gst_object_unref(receiver);
    }
  } else {
    GObject *sctp = nullptr;
    g_object_get(webrtcbin, "sctp-transport", &sctp, nullptr);
    if (sctp) {
      g_object_get(sctp, "transport", &dtls, nullptr);
      g_object_unref(sctp);
    }
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
