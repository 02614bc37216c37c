// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lite-sdp.h"

#include <gst/sdp/sdp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace lite {

namespace {

struct SdpDeleter {
  void operator()(GstSDPMessage *m) const { gst_sdp_message_free(m); }
};
using SdpPtr = std::unique_ptr<GstSDPMessage, SdpDeleter>;

std::string media_or_session(const GstSDPMessage *msg, const GstSDPMedia *m, const char *key) {
  const char *v = gst_sdp_media_get_attribute_val(m, key);
  if (!v) v = gst_sdp_message_get_attribute_val(msg, key);
  return v ? v : "";
}

// The value of "a=KEY:PT rest" for `pt`, or "".
std::string for_pt(const GstSDPMedia *m, const char *key, int pt) {
  const std::string prefix = std::to_string(pt) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
    if (a->value && g_str_equal(a->key, key) && g_str_has_prefix(a->value, prefix.c_str())) return a->value;
  }
  return "";
}

bool choose_codec(const GstSDPMedia *m, MLine *out, std::string *error) {
  const guint n = gst_sdp_media_formats_len(m);
  int chosen = -1;
  std::string chosen_map;
  for (guint f = 0; f < n; f++) {
    int pt = std::atoi(gst_sdp_media_get_format(m, f));
    std::string map = for_pt(m, "rtpmap", pt);
    if (map.empty()) continue;
    std::string enc = map.substr(map.find(' ') + 1);
    enc = enc.substr(0, enc.find('/'));
    // Never a helper payload as the media codec.
    if (!g_ascii_strcasecmp(enc.c_str(), "rtx") || !g_ascii_strcasecmp(enc.c_str(), "red") ||
        !g_ascii_strcasecmp(enc.c_str(), "ulpfec") || !g_ascii_strcasecmp(enc.c_str(), "flexfec-03"))
      continue;
    if (out->kind == "audio" && !g_ascii_strcasecmp(enc.c_str(), "opus")) {
      chosen = pt, chosen_map = map;
      break;
    }
    if (chosen < 0) {
      chosen = pt, chosen_map = map;
      if (out->kind != "audio") break;
    }
  }
  if (chosen < 0) {
    *error = "m-line " + out->mid + " (" + out->kind + ") offers no codec with an rtpmap";
    return false;
  }
  out->pt = chosen;
  out->rtpmap = chosen_map.substr(chosen_map.find(' ') + 1);
  out->encoding = out->rtpmap.substr(0, out->rtpmap.find('/'));
  auto slash = out->rtpmap.find('/');
  if (slash != std::string::npos) out->clock_rate = static_cast<unsigned>(std::atoi(out->rtpmap.c_str() + slash + 1));
  if (out->clock_rate == 0) out->clock_rate = 90000;
  std::string fmtp = for_pt(m, "fmtp", chosen);
  out->fmtp = fmtp.empty() ? "" : fmtp.substr(fmtp.find(' ') + 1);
  const std::string prefix = std::to_string(chosen) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
    if (a->value && g_str_equal(a->key, "rtcp-fb") && g_str_has_prefix(a->value, prefix.c_str()))
      out->rtcp_fb.push_back(a->value + prefix.size());
  }
  return true;
}

}  // namespace

bool parse_offer(const std::string &sdp, Offer *offer, std::string *error) {
  GstSDPMessage *raw = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &raw) != GST_SDP_OK || !raw) {
    *error = "the offer is not SDP";
    return false;
  }
  SdpPtr msg(raw);
  Offer out;
  for (guint i = 0;; i++) {
    const char *g = gst_sdp_message_get_attribute_val_n(msg.get(), "group", i);
    if (!g) break;
    if (!g_str_has_prefix(g, "BUNDLE")) continue;
    out.has_bundle = true;
    gchar **parts = g_strsplit_set(g + strlen("BUNDLE"), " \t", -1);
    for (gchar **p = parts; *p; p++)
      if (**p) out.bundle.emplace_back(*p);
    g_strfreev(parts);
    break;
  }
  const guint n = gst_sdp_message_medias_len(msg.get());
  if (n == 0) {
    *error = "the offer has no m-line";
    return false;
  }
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(msg.get(), i);
    MLine ml;
    ml.kind = gst_sdp_media_get_media(m) ? gst_sdp_media_get_media(m) : "";
    ml.proto = gst_sdp_media_get_proto(m) ? gst_sdp_media_get_proto(m) : "";
    ml.mid = media_or_session(msg.get(), m, "mid");
    if (ml.mid.empty()) ml.mid = std::to_string(i);
    if (i == 0 || out.ice_ufrag.empty()) {
      out.ice_ufrag = media_or_session(msg.get(), m, "ice-ufrag");
      out.ice_pwd = media_or_session(msg.get(), m, "ice-pwd");
    }
    if (out.fingerprint.empty()) {
      std::string fp = media_or_session(msg.get(), m, "fingerprint");
      auto sp = fp.find(' ');
      if (sp != std::string::npos) {
        out.fingerprint_hash = fp.substr(0, sp);
        out.fingerprint = fp.substr(sp + 1);
      }
    }
    for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
      if (attr->value && g_str_equal(attr->key, "candidate"))
        out.candidates.push_back(std::string("candidate:") + attr->value);
    }
    if (ml.kind == "application") {
      ml.sctp_port = media_or_session(msg.get(), m, "sctp-port");
      if (ml.sctp_port.empty()) ml.sctp_port = "5000";
    } else if (!choose_codec(m, &ml, error)) {
      return false;
    }
    out.mlines.push_back(std::move(ml));
  }
  if (out.ice_ufrag.empty() || out.ice_pwd.empty()) {
    *error = "the offer has no ice-ufrag / ice-pwd";
    return false;
  }
  if (out.fingerprint.empty()) {
    *error = "the offer has no a=fingerprint";
    return false;
  }
  *offer = std::move(out);
  return true;
}

std::string make_answer(const Offer &offer, const std::string &ufrag, const std::string &pwd,
                        const std::string &fingerprint_sha256) {
  GstSDPMessage *raw = nullptr;
  gst_sdp_message_new(&raw);
  SdpPtr msg(raw);
  gst_sdp_message_set_version(msg.get(), "0");
  const std::string sess_id = std::to_string(g_random_int_range(1, G_MAXINT32));
  gst_sdp_message_set_origin(msg.get(), "-", sess_id.c_str(), "0", "IN", "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name(msg.get(), "-");
  gst_sdp_message_add_time(msg.get(), "0", "0", nullptr);
  if (offer.has_bundle) {
    std::string group = "BUNDLE";
    for (const auto &mid : offer.bundle) group += " " + mid;
    gst_sdp_message_add_attribute(msg.get(), "group", group.c_str());
  }
  const std::string fp = "sha-256 " + fingerprint_sha256;
  for (const MLine &ml : offer.mlines) {
    GstSDPMedia *m = nullptr;
    gst_sdp_media_new(&m);
    gst_sdp_media_set_media(m, ml.kind.c_str());
    gst_sdp_media_set_port_info(m, 9, 1);
    gst_sdp_media_set_proto(m, ml.proto.c_str());
    gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
    if (ml.kind == "application") {
      gst_sdp_media_add_format(m, "webrtc-datachannel");
    } else {
      gst_sdp_media_add_format(m, std::to_string(ml.pt).c_str());
    }
    gst_sdp_media_add_attribute(m, "mid", ml.mid.c_str());
    gst_sdp_media_add_attribute(m, "ice-ufrag", ufrag.c_str());
    gst_sdp_media_add_attribute(m, "ice-pwd", pwd.c_str());
    gst_sdp_media_add_attribute(m, "fingerprint", fp.c_str());
    gst_sdp_media_add_attribute(m, "setup", "active");
    if (ml.kind == "application") {
      gst_sdp_media_add_attribute(m, "sctp-port", ml.sctp_port.c_str());
    } else {
      gst_sdp_media_add_attribute(m, "recvonly", "");
      gst_sdp_media_add_attribute(m, "rtcp-mux", "");
      const std::string pt = std::to_string(ml.pt);
      gst_sdp_media_add_attribute(m, "rtpmap", (pt + " " + ml.rtpmap).c_str());
      if (!ml.fmtp.empty()) gst_sdp_media_add_attribute(m, "fmtp", (pt + " " + ml.fmtp).c_str());
      for (const auto &fb : ml.rtcp_fb) gst_sdp_media_add_attribute(m, "rtcp-fb", (pt + " " + fb).c_str());
    }
    gst_sdp_message_add_media(msg.get(), m);
    gst_sdp_media_free(m);  // add_media took its contents (and zeroed it)
  }
  gchar *text = gst_sdp_message_as_text(msg.get());
  std::string out = text ? text : "";
  g_free(text);
  return out;
}

}  // namespace lite
