// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink answering a consumer's offer (a WHEP player behind a
// gateway, any client that offers in startSession). Such a consumer is a
// consumer like any other (core/sink-core.cpp): same admission, Session
// (in the answerer role), bin, chains, shared branches, keyframe on
// connect, DTLS gate, stats and signals. What differs is who picks:
//
//  1. offer hook (before webrtcbin sees the offer): the offer's structure is
//     checked (check_offer_structure), then each audio/video m-line that
//     wants to receive gets the first input of its kind not served yet and
//     a codec from the offer's payloads among what the sink can deliver for
//     that input (choose_from_offer). The copy webrtcbin gets keeps only
//     that payload (and its RTX); every other audio/video m-line is made
//     inactive there, port kept (never rejected: Chromium refuses an answer
//     that rejects its first bundled m-line, and webrtcbin 1.22 aborts on
//     rejected bundled m-lines). Nothing to send on any m-line (and no data
//     channel) ends the session with the reason per m-line.
//  2. answer hook (offer applied, before create-answer): `sink_<mline>` per
//     planned m-line, its transceiver set to that payload (offer's payload
//     type, the input's SSRC) and direction, and the chains built and
//     attached to the shared branches.
#include "consumer-chain.h"
#include "sink-consumer.h"
#include "twcc.h"
#include "sink-core.h"
#include "webrtc-util.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

namespace webrtclive {

namespace {
bool has_application(const GstSDPMessage *msg) {
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++)
    if (g_strcmp0(gst_sdp_media_get_media(gst_sdp_message_get_media(msg, i)), "application") == 0) return true;
  return false;
}
}  // namespace

void SinkCore::create_answering_consumer(const std::string &sid, const std::string &peer, const std::string &offer) {
  SinkSettings s = settings();
  // Media or not is known once the offer is read: the peer timeout is
  // switched off then for a data-only consumer (plan_answer).
  auto consumer = open_consumer(sid, peer, SessionRole::Answerer, s, true);
  if (!consumer) return;
  std::weak_ptr<Consumer> weak_c = consumer;
  consumer->session->set_offer_hook([this, weak_c](GstSDPMessage *msg) -> std::string {
    auto c = weak_c.lock();
    return c ? plan_answer(c, msg) : "the consumer is gone";
  });
  consumer->session->set_answer_hook([this, weak_c](const GstSDPMessage *offer) -> std::string {
    auto c = weak_c.lock();
    return c ? set_up_answer(c, offer) : "the consumer is gone";
  });
  launch_consumer(consumer, s);
  if (!consumer->session->set_remote_description(protocol::Sdp{"offer", offer}))
    return;  // refused: `failed` follows, with the reason
}

// Control thread, inside Session::set_remote_description: after the m-line
// bound, before webrtcbin sees `msg` (which may be edited).
std::string SinkCore::plan_answer(const std::shared_ptr<Consumer> &c, GstSDPMessage *msg) {
  if (std::string why = check_offer_structure(msg); !why.empty()) return "unacceptable offer: " + why;
  SinkSettings s = settings();
  std::vector<std::shared_ptr<const FanOut::InputInfo>> inputs;
  for (auto &info : fanout_->inputs())
    if (info.format) inputs.push_back(std::make_shared<const FanOut::InputInfo>(std::move(info)));
  std::vector<bool> used(inputs.size(), false);
  std::string skipped;  // why each unserved m-line is left inactive
  bool wanted = false;  // some audio/video m-line wants to receive
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    auto *m = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(msg, i));
    auto kind = media_kind(m);
    if (!kind) continue;  // application: webrtcbin answers it (data channels)
    const char *kind_name = *kind == MediaKind::Video ? "video" : "audio";
    std::string why;
    std::optional<OfferedCodec> codec;
    size_t input = inputs.size();
    if (!offer_receives(m)) {
      why = "the consumer does not receive on it";
    } else {
      wanted = true;
      bool any = false;
      for (size_t k = 0; k < inputs.size() && !codec; k++) {
        if (used[k] || inputs[k]->kind != *kind) continue;
        any = true;
        OfferChoice choice = choose_from_offer(m, codecs_to_offer(*inputs[k], s));
        if (choice.codec) {
          codec = choice.codec;
          input = k;
        } else {
          why = choice.why;
        }
      }
      if (!any) why = std::string("this producer has no ") + kind_name + (c->streams.empty() ? "" : " left") + " to send";
    }
    if (!codec) {
      skipped += std::string(skipped.empty() ? "" : "; ") + "m-line " + std::to_string(i) + " (" + kind_name + "): " + why;
      set_media_direction(m, "inactive");
      continue;
    }
    used[input] = true;
    keep_only_payload(m, codec->pt);
    ConsumerStream cs;
    cs.input = inputs[input];
    cs.offered = {*codec};
    cs.mline = i;
    cs.ssrc = cs.input->ssrc;
    // Talkback: the consumer's microphone on the audio m-line it sends on.
    cs.receive = talkback_ && *kind == MediaKind::Audio && offer_sends(m);
    c->streams.push_back(std::move(cs));
    c->chosen.push_back(*codec);
  }
  // Media asked for and none to give: the session is pointless. An offer
  // with only a data channel is a data-only consumer.
  if (c->streams.empty() && (wanted || gst_sdp_message_medias_len(msg) > 0) &&
      (wanted || !has_application(msg)))
    return "nothing in the offer this producer can send: " + (skipped.empty() ? std::string("no m-line wants to receive") : skipped);
  if (!skipped.empty())
    GST_INFO_OBJECT(element_, "consumer %s: answering inactive %s", c->peer.c_str(), skipped.c_str());
  if (c->streams.empty()) c->session->set_peer_timeout(0);  // data only: no RTCP to watch
  return {};
}

// Control thread: webrtcbin applied the offer and has not answered yet.
std::string SinkCore::set_up_answer(const std::shared_ptr<Consumer> &c, const GstSDPMessage *offer) {
  GstElement *webrtc = c->webrtcbin.get();
  for (auto &cs : c->streams) {
    const std::string name = "sink_" + std::to_string(cs.mline);
    GstPad *pad = gst_element_request_pad_simple(webrtc, name.c_str());
    if (!pad) return "webrtcbin gave no pad for m-line " + std::to_string(cs.mline);
    cs.webrtc_pad = GRef<GstPad>::adopt(pad);
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(pad, "transceiver", &trans, nullptr);
    if (!trans) return "webrtcbin gave no transceiver for m-line " + std::to_string(cs.mline);
    // The offer's own caps for that payload: webrtcbin answers with their
    // intersection with the offer, which cannot be empty then.
    CapsPtr prefs = offered_payload_caps(gst_sdp_message_get_media(offer, cs.mline), cs.offered.front().pt);
    if (!prefs) return "m-line " + std::to_string(cs.mline) + " has no caps for payload " + std::to_string(cs.offered.front().pt);
    gst_caps_set_simple(prefs.get(), "ssrc", G_TYPE_UINT, cs.ssrc, nullptr);
    // webrtcbin 1.22 answers an extmap only when the preferences carry it.
    if (cs.offered.front().twcc_ext) add_twcc_extmap(prefs.get(), cs.offered.front().twcc_ext);
    g_object_set(trans, "direction",
                 cs.receive ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                 "codec-preferences", prefs.get(), nullptr);
    if (cs.input->kind == MediaKind::Video) g_object_set(trans, "do-nack", TRUE, nullptr);
    gst_object_unref(trans);
  }
  if (!attach_streams(c)) return "";  // the consumer was ended with the reason
  watch_first_packet(c);
  return {};
}

}  // namespace webrtclive
