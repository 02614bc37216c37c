// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: what runs on a remote SDP answer and ICE candidates
// before webrtcbin sees them (and a consumer's offer, and the TWCC extmap
// copied into an answer). The input is "offer \0 answer \0 candidate".
#include <gst/sdp/sdp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codecs.h"
#include "fuzz-util.h"
#include "twcc.h"
#include "webrtc-util.h"

using namespace webrtclive;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::vector<std::string> parts = fuzz_fields(data, size, '\0', 3);
  // As the elements parse a peer's SDP (an empty one made GstSdp log a CRITICAL).
  GstSDPMessage *offer = parse_remote_sdp(parts[0]);
  GstSDPMessage *answer = parse_remote_sdp(parts[1]);
  if (offer && answer) {
    (void)check_answer_structure(offer, answer);
    const std::vector<OfferedCodec> offered = {{CodecId::H264, 96, false, "42e01f", kTwccOfferId},
                                               {CodecId::VP8, 97, false, "", kTwccOfferId}};
    for (guint m = 0; m < gst_sdp_message_medias_len(answer) + 1; m++) (void)choose_from_answer(answer, m, offered);
    // A consumer's offer: what it chooses, and the TWCC extmap an answer keeps.
    for (guint m = 0; m < gst_sdp_message_medias_len(offer); m++)
      (void)choose_from_offer(gst_sdp_message_get_media(offer, m), offered);
    (void)answer_twcc(offer, answer);
    keep_receivable_codecs(answer);
  }
  if (offer) gst_sdp_message_free(offer);
  if (answer) gst_sdp_message_free(answer);
  (void)check_remote_candidate(parts[2], size % 4, 3, static_cast<unsigned>(size % 70));
  (void)count_mlines(parts[0]);
  return 0;
}
