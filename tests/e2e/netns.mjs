// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Network namespaces inside the test's own (tools/run-tests.sh and
// tools/bench.sh run everything in a private one, as root there): a child
// namespace held by a `sleep` of its own, joined to the test's namespace by a
// veth pair, and a bandwidth cap (tc tbf; sch_netem is missing from these
// machines' kernel) on the test's end of a link, i.e. on what the test's
// namespace sends into the child. Never used on the host's interfaces: every
// link is made here, in the test's namespace.
//
//   const pid = await childNamespace(defer, 'viewer1');
//   link(pid, { name: 'lv1', address: '10.98.1.1', peer: '10.98.1.2' });
//   const cap = shaper('lv1'); cap.limit(400); ...; cap.lift();
//   startPipeline(..., { netns: pid })   // a process inside it
//
// Interface names must not start with "veth" (libnice ignores those). IPv6
// is off on both ends, so there is no duplicate address detection to wait for.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { log, spawnWatched, until } from './lib.mjs';

export const sh = (args) => execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

// Runs `args` inside the network namespace of process `pid`.
export const inNamespace = (pid, args) => sh(['nsenter', `--net=/proc/${pid}/ns/net`, ...args]);

// A new network namespace (only `lo`, up), alive until the test ends; its
// holder's pid, for nsenter and startPipeline's `netns`.
export async function childNamespace(defer, name) {
  const self = readlinkSync('/proc/self/ns/net');
  const holder = spawnWatched(`netns-${name}`, 'unshare', ['-n', 'sleep', '3600'], { stdio: ['ignore', 'ignore', 'ignore'] });
  defer(async () => { holder.kill('SIGTERM'); await holder.exited; });
  const pid = holder.proc.pid;
  await until(`the ${name} namespace`, () => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) !== self;
    } catch {
      return false;
    }
  }, 5000, 20);
  inNamespace(pid, ['sh', '-ec', 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1; ip link set lo up']);
  return pid;
}

// A veth pair between the test's namespace (`name`, with `address`/24) and
// the namespace of `pid` (`peerName`, with `peer`/24); `gateway`: the
// child's default route goes through it.
export function link(pid, { name, address, peer, peerName = 'eth0', gateway = null }) {
  sh(['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', peerName, 'netns', String(pid)]);
  sh(['sysctl', '-qw', `net.ipv6.conf.${name}.disable_ipv6=1`]);
  sh(['ip', 'addr', 'add', `${address}/24`, 'dev', name]);
  sh(['ip', 'link', 'set', name, 'up']);
  inNamespace(pid, ['sh', '-ec', `ip addr add ${peer}/24 dev ${peerName}; ip link set ${peerName} up` +
    (gateway ? `; ip route add default via ${gateway}` : '')]);
}

// A token-bucket cap on what leaves the test's namespace through `dev`, as a
// slow access link: limit(kbit, {burst, limit}) lets at most `kbit` kbit/s
// through, `burst` bytes at line rate after an idle spell, and queues at
// most `limit` bytes (at 400 kbit/s, 10000 B is 200 ms) before dropping;
// lift() removes it. Both idempotent.
export function shaper(dev) {
  let on = false;
  return {
    limit(kbit, { burst = 5000, limit = 10000 } = {}) {
      sh(['tc', 'qdisc', on ? 'change' : 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`,
        'burst', String(burst), 'limit', String(limit)]);
      on = true;
      log(`tc: ${dev} capped at ${kbit} kbit/s (burst ${burst} B, queue ${limit} B = ` +
        `${Math.round((limit * 8) / kbit)} ms): ${sh(['tc', 'qdisc', 'show', 'dev', dev]).trim()}`);
    },
    lift() {
      if (!on) return;
      sh(['tc', 'qdisc', 'del', 'dev', dev, 'root']);
      on = false;
      log(`tc: ${dev} cap lifted`);
    },
    // What the qdisc dropped and sent so far ("Sent N bytes M pkt (dropped D, ...)").
    stats: () => sh(['tc', '-s', 'qdisc', 'show', 'dev', dev]).replace(/\s+/g, ' ').trim(),
  };
}

// UDP datagrams the kernel of the namespace of `pid` dropped because a
// socket's receive buffer was full (/proc/net/snmp RcvbufErrors): loss at
// the receiving host, not on the link.
export function udpReceiveBufferDrops(pid) {
  const lines = inNamespace(pid, ['cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.trim().split(/\s+/));
  return Number(values[names.indexOf('RcvbufErrors')]);
}
