// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One consumer of webrtclivesink, as SinkCore keeps it (private to
// core/sink-*.cpp): its Session, its bin, one stream per offered input.
#pragma once

#include "consumer-chain.h"
#include "fanout.h"
#include "pad-probe.h"
#include "session.h"
#include "sink-core.h"

namespace webrtclive {

struct ConsumerStream {
  std::shared_ptr<const FanOut::InputInfo> input;
  std::vector<OfferedCodec> offered;
  unsigned mline = 0;
  guint ssrc = 0;  // announced in the offer, used by the payloader
  GRef<GstPad> webrtc_pad;
  std::unique_ptr<ConsumerChain> chain;            // once answered
  std::shared_ptr<FanOut::Attachment> attachment;  // fed from a shared branch
  ProbeHandle keyframe_capture;                    // its PLI/FIR go to the branch's throttle
};

struct SinkCore::Consumer {
  std::string sid;
  std::string peer;
  GRef<GstElement> bin;        // everything of this consumer lives in here
  GRef<GstElement> webrtcbin;  // its Session's
  std::shared_ptr<Session> session;       // control thread
  std::vector<ConsumerStream> streams;
  std::vector<OfferedCodec> chosen;       // per stream, from the answer
  GRef<GObject> control_channel;          // gstwebrtc-api's "control", when offered
  std::shared_ptr<Talkback::Input> talk;  // mutex_: its audio in the talkback mixer
};

}  // namespace webrtclive
