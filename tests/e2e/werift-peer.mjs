// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A werift peer connection set up the way our tests need it
// (docs: /work/shared/docs/real-peers.md): loopback host candidates (werift
// drops lo otherwise), no IPv6, no ICE servers, BUNDLE, and explicit codecs
// with NACK and PLI feedback. `video`: which of 'H264' (constrained
// baseline, packetization-mode 1) and 'VP8' it takes, preferred first.
import { RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI } from 'werift';

const VIDEO = {
  H264: () => new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' }),
  VP8: () => new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()] }),
};

export function weriftPeer({ video = ['VP8'] } = {}) {
  return new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    iceServers: [],
    bundlePolicy: 'max-bundle',
    codecs: {
      video: video.map((c) => VIDEO[c]()),
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
  });
}
