// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Transport-wide congestion control feedback (TWCC) on webrtcbin 1.22
// (issue 15; ../shared/docs/layer-switching-1.22.md):
//  - negotiation: the header extension's extmap in the offer's codec caps
//    (or taken from a consumer's offer), the payloader stamping it;
//  - reading: rtpsession pushes an upstream custom event RTPTWCCPackets per
//    feedback packet, one entry per packet, out of webrtcbin's sink pad;
//    rtpfunnel forwards it to every input, so a probe on each consumer's
//    payloader src pad sees it.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <vector>

#include "layer-estimator.h"

namespace webrtclive {

inline constexpr const char *kTwccUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
// The id our offers give it (no other header extension is offered).
inline constexpr int kTwccOfferId = 1;

// The id of the TWCC extmap on an m-line (1..14), 0 when there is none.
int twcc_extmap_id(const GstSDPMedia *m);
// Adds "extmap-<id>" = kTwccUri to every structure of `caps` (writable).
void add_twcc_extmap(GstCaps *caps, int id);
// webrtcbin 1.22 drops every extmap from its answers (_rtp_caps_from_media
// ignores them) unless the transceiver's codec preferences carry it: this
// puts the offer's TWCC extmap back into each m-line of `answer` that
// accepted an offered one, so the remote sender stamps it and our
// rtpsession sends feedback. Returns how many m-lines got it.
unsigned answer_twcc(const GstSDPMessage *offer, GstSDPMessage *answer);
// Makes the payloader stamp a transport-wide sequence number as extension
// `id` into every packet. False when the extension element is missing.
bool add_twcc_extension(GstElement *payloader, int id);

// An RTPTWCCPackets event's entries (at most `max` read; the rest counted in
// `skipped`); nothing when `event` is not one.
bool is_twcc_event(GstEvent *event);
std::vector<TwccPacket> twcc_packets(GstEvent *event, size_t max, uint32_t *skipped);

}  // namespace webrtclive
