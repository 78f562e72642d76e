/**
 * `npm run simulate`: a small scale-in on the local emulator, with the real synthesized construct and the real
 * bundled handler, printed as a timeline. No AWS account needed.
 */
import { Emulator } from '../emulator';

const SECOND = 1000;

function stamp(ms: number): string {
  const s = ms / 1000;
  return `+${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

async function main(): Promise<void> {
  const emu = await Emulator.start({ scale: 10 });
  const short = (id: string) => id.slice(-4);
  try {
    const web = emu.world.addInstance({ serviceTasks: 3, deactivatingMs: (i) => 20 * SECOND + i * 25 * SECOND });
    const logs = emu.world.addInstance({ serviceTasks: 1, daemonTasks: 1, deactivatingMs: 15 * SECOND });
    const idle = emu.world.addInstance();
    const stray = emu.world.addInstance({ status: 'unregistered' });
    const names: Record<string, string> = {
      [web]: 'web (3 service tasks, staggered load balancer deregistration)',
      [logs]: 'logs (1 service task + 1 daemon log router)',
      [idle]: 'idle (no tasks)',
      [stray]: 'stray (never registered with ECS)',
    };
    console.log('Scale-in of 4 instances on the emulator (time compressed 10x; times below are emulated):\n');
    for (const [id, name] of Object.entries(names)) console.log(`  ${short(id)}  ${name}`);
    console.log('');
    const ids = Object.keys(names);
    ids.forEach((id) => emu.world.scaleIn(id));
    await emu.waitForOutcomes(ids, 30 * 60 * SECOND);

    // At equal times, an invocation comes before its calls, and a call before what it caused (the sort is stable).
    const lines: Array<{ at: number; text: string }> = [
      ...emu.allInvocations().map((i) => ({ at: i.startedAt, text: `lambda invoked by "${i.detailType}"` })),
      ...emu.server.calls.map((c) => ({ at: c.at, text: `call   ${c.service}:${c.operation}${c.instanceIds.length ? ` ${c.instanceIds.map(short).join(',')}` : ''}${c.error ? ` -> ${c.error}` : ''}` })),
      ...emu.timeline.map((t) => ({ at: t.at, text: `${t.kind === 'outcome' ? 'DONE  ' : 'aws   '} ${t.text}` })),
    ].sort((a, b) => a.at - b.at);
    for (const l of lines) {
      let text = l.text;
      for (const id of ids) text = text.replace(id, short(id));
      console.log(`${stamp(l.at - emu.startedAt)}  ${text}`);
    }

    console.log('\nSummary (emulated time):\n');
    console.log('instance  last task STOPPED  lifecycle completed  after last stop  tasks cut off  API calls');
    for (const id of ids) {
      const o = emu.outcomeOf(id)!;
      const calls = Object.values(emu.callsFor(id)).reduce((a, b) => a + b, 0);
      const stopped = o.lastTaskStoppedAt !== undefined ? stamp(o.lastTaskStoppedAt - emu.startedAt) : '-';
      const after = o.lastTaskStoppedAt !== undefined ? `${((o.endedAt - o.lastTaskStoppedAt) / 1000).toFixed(1)} s` : '-';
      console.log(`${short(id).padEnd(10)}${stopped.padEnd(19)}${stamp(o.endedAt - emu.startedAt).padEnd(21)}${after.padEnd(17)}${String(o.tasksNotStopped).padEnd(15)}${calls}`);
    }
    console.log(`\nLambda invocations: ${emu.allInvocations().length}; lifecycle actions expired: ${emu.world.outcomes.filter((o) => o.how === 'expired').length}`);
  } finally {
    await emu.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
