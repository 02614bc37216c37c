// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DataChannels: the data channels of one webrtcbin, owned by its Session.
// Ours are created from specs before the offer (so they are negotiated in
// it); the peer's arrive through on-data-channel and are accepted too (the
// owner says whether it expected them). Every message from the peer is
// hostile input: it is handed on only once the peer's DTLS identity was
// verified, and only within the size and rate limits; the rest is dropped
// and reported.
//
// Threads: created and announced on the owner's control context; messages
// are handed on on webrtcbin's data-channel thread, in order per channel;
// state changes and drops are posted to the control context; send() may be
// called from any thread (a sink pad's streaming thread). mutex_ is a leaf,
// never held while calling an event or emitting on a channel.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gobj.h"

namespace webrtclive {

struct DataChannelSpec {
  std::string label;
  bool ordered = true;
  int max_retransmits = -1;      // -1 = unlimited (reliable); 0 with ordered=false = unreliable
  int max_packet_lifetime = -1;  // ms, -1 = unlimited
  bool operator==(const DataChannelSpec &) const = default;
};

struct DataLimits {
  guint max_message_bytes = 64 * 1024;  // a message larger than this is dropped
  guint max_messages_per_second = 1000;  // per channel, averaged over one second; 0 = no limit
};

class DataChannels : public std::enable_shared_from_this<DataChannels> {
 public:
  struct Events {
    // A channel opened (true) or closed (false), as negotiated (label,
    // ordered, max-retransmits, max-packet-lifetime); `announced`: one of ours.
    std::function<void(const DataChannelSpec &channel, bool open, bool announced)> state;
    // A message from the peer (webrtcbin's thread).
    std::function<void(const DataChannelSpec &channel, GBytes *data, bool text)> message;
    // A message dropped, and why (control context).
    std::function<void(const std::string &label, const std::string &why)> dropped;
  };

  [[nodiscard]] static std::shared_ptr<DataChannels> create(GMainContext *context, GstElement *webrtcbin,
                                                            DataLimits limits,
                                                            std::shared_ptr<const std::atomic<bool>> verified,
                                                            Events events);
  ~DataChannels();

  // Control context, before the offer: one channel per spec.
  void announce(const std::vector<DataChannelSpec> &specs);
  // Control context: accept the channels the peer opens.
  void watch();
  // Any thread. False when no open channel has that label.
  bool send(const std::string &label, GBytes *data, bool text);
  std::vector<std::string> open_labels() const;
  // No more events after this returns (a message being handed on may finish).
  void close();

  // The options create-data-channel takes for `spec`; false (and why) when
  // it cannot be negotiated (max-retransmits and max-packet-lifetime together).
  static bool check(const DataChannelSpec &spec, std::string *why);

 private:
  struct Channel;
  DataChannels(GMainContext *context, GstElement *webrtcbin, DataLimits limits,
               std::shared_ptr<const std::atomic<bool>> verified, Events events);
  void wire(GObject *channel, bool announced);
  void on_message(Channel &channel, GBytes *data, bool text);
  void on_state(Channel &channel, bool open);
  void flush_drops(Channel &channel);
  template <typename Fn>
  void post(Fn &&fn);

  // A reference: a webrtcbin callback may post after the owner stopped its
  // loop (and would otherwise find the context freed with the owner).
  MainContextPtr context_;
  GRef<GstElement> webrtcbin_;
  const DataLimits limits_;
  std::shared_ptr<const std::atomic<bool>> verified_;
  Events events_;
  std::atomic<bool> closed_{false};
  gulong on_data_channel_ = 0;

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Channel>> channels_;
};

}  // namespace webrtclive
