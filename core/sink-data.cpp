// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SinkCore's data channels: data_%u pads become channels offered to every
// consumer that joins (each consumer's Session negotiates them in its
// offer), messages pushed on a pad go to every consumer, messages from a
// consumer come back through the data_received hook. See core/data-channels.h
// for what is checked before a consumer's message is handed on.
#include "sink-core.h"
#include "sink-consumer.h"

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(webrtclivesink_debug);
#define GST_CAT_DEFAULT webrtclivesink_debug

namespace webrtclive {

void SinkCore::add_data_input(GstPad *pad, std::function<DataChannelSpec()> spec) {
  std::lock_guard lock(mutex_);
  data_inputs_.push_back(DataInput{pad, std::move(spec)});
}

void SinkCore::remove_data_input(GstPad *pad) {
  std::lock_guard lock(mutex_);
  std::erase_if(data_inputs_, [pad](const DataInput &d) { return d.pad == pad; });
}

// Control thread, when a consumer joins: the channels its offer carries.
std::vector<DataChannelSpec> SinkCore::data_channels() const {
  std::vector<std::function<DataChannelSpec()>> specs;
  {
    std::lock_guard lock(mutex_);
    for (auto &d : data_inputs_) specs.push_back(d.spec);
  }
  std::vector<DataChannelSpec> out;
  const bool control = settings().control;
  for (auto &spec : specs) {
    DataChannelSpec s = spec();  // reads pad properties: outside mutex_
    std::string why;
    if (control && s.label == "control") {
      GST_ELEMENT_WARNING(element_, RESOURCE, SETTINGS,
                          ("A data pad is labelled \"control\", the label of gstwebrtc-api's remote control channel "
                           "(control=true); the pad's channel is not offered."),
                          (nullptr));
      continue;
    }
    if (!DataChannels::check(s, &why)) {
      GST_ELEMENT_WARNING(element_, RESOURCE, SETTINGS, ("%s; the channel is not offered.", why.c_str()), (nullptr));
      continue;
    }
    if (std::any_of(out.begin(), out.end(), [&](const DataChannelSpec &o) { return o.label == s.label; })) {
      GST_ELEMENT_WARNING(element_, RESOURCE, SETTINGS,
                          ("Two data pads share the label '%s'; only the first is offered.", s.label.c_str()), (nullptr));
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

void SinkCore::data_events(Session::Events &ev, const std::string &sid, const std::string &peer) {
  std::weak_ptr<SinkCore> weak = weak_from_this();
  ev.channel_state = [weak, sid, peer](const DataChannelSpec &channel, bool open, bool announced) {
    auto core = weak.lock();
    if (!core) return;
    if (open && !announced)
      GST_ELEMENT_WARNING(core->element_, STREAM, FAILED,
                          ("Consumer %s opened a data channel '%s' this element did not offer; its messages are "
                           "handed on like the others.",
                           peer.c_str(), channel.label.c_str()),
                          (nullptr));
    if (core->hooks_.channel_state) core->hooks_.channel_state(peer, sid, channel, open, announced);
  };
  ev.data = [weak, peer](const DataChannelSpec &channel, GBytes *data, bool text) {
    if (auto core = weak.lock(); core && core->hooks_.data_received)
      core->hooks_.data_received(peer, channel.label, data, text);
  };
  ev.data_dropped = [weak, peer](const std::string &label, const std::string &why) {
    if (auto core = weak.lock())
      GST_ELEMENT_WARNING(core->element_, STREAM, FAILED,
                          ("Dropped a message from consumer %s on data channel '%s': %s.", peer.c_str(), label.c_str(),
                           why.c_str()),
                          (nullptr));
  };
}

unsigned SinkCore::send_data(const std::string &peer_id, const std::string &label, GBytes *data, bool text) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto &[sid, c] : consumers_)
      if (peer_id.empty() || c->peer == peer_id) sessions.push_back(c->session);
  }
  unsigned sent = 0;
  for (auto &s : sessions)
    if (s && s->send_data(label, data, text)) sent++;
  return sent;
}

}  // namespace webrtclive
