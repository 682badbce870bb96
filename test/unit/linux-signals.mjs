import t from 'tap';
import sig from '../../dist/lib/linux/signals.js';

const { parseSignal, signalName, allSignalNames, SIGNALS } = sig;

t.test('standard names in all spellings', async (t) => {
  t.equal(parseSignal('KILL'), 9);
  t.equal(parseSignal('SIGKILL'), 9);
  t.equal(parseSignal('kill'), 9);
  t.equal(parseSignal('sigterm'), 15);
  t.equal(parseSignal('HUP'), 1);
  t.equal(parseSignal('SYS'), 31);
  t.equal(parseSignal('CHLD'), 17);
  t.equal(parseSignal('CLD'), 17);
  t.equal(parseSignal('IOT'), 6);
  t.equal(parseSignal('WINCH'), 28);
  t.equal(parseSignal('STOP'), 19);
  t.equal(parseSignal('USR1'), 10);
  t.equal(parseSignal('USR2'), 12);
  t.equal(SIGNALS.SEGV, 11);
  t.equal(SIGNALS.PWR, 30);
});

t.test('numbers', async (t) => {
  t.equal(parseSignal('9'), 9);
  t.equal(parseSignal('1'), 1);
  t.equal(parseSignal('64'), 64);
  t.equal(parseSignal('32'), 32);
  t.equal(parseSignal('0'), 0, 'signal 0: is it alive? (kill(2), runc kill ID 0)');
  t.equal(parseSignal('00'), 0);
  t.throws(() => parseSignal('65'), { message: 'unknown signal "65"' });
  t.throws(() => parseSignal('-9'), { message: 'unknown signal "-9"' });
});

t.test('real-time signals', async (t) => {
  t.equal(parseSignal('RTMIN'), 34);
  t.equal(parseSignal('SIGRTMIN'), 34);
  t.equal(parseSignal('RTMIN+1'), 35);
  t.equal(parseSignal('sigrtmin+3'), 37);
  t.equal(parseSignal('RTMAX'), 64);
  t.equal(parseSignal('RTMAX-1'), 63);
  t.equal(parseSignal('SIGRTMAX-30'), 34);
  t.equal(parseSignal('RTMIN+30'), 64);
  t.throws(() => parseSignal('RTMIN+31'), { message: 'unknown signal "RTMIN+31"' });
  t.throws(() => parseSignal('RTMIN-1'), { message: 'unknown signal "RTMIN-1"' });
  t.throws(() => parseSignal('RTMAX+1'), { message: 'unknown signal "RTMAX+1"' });
});

t.test('bad names', async (t) => {
  t.throws(() => parseSignal('FOO'), { message: 'unknown signal "FOO"' });
  t.throws(() => parseSignal(''), { message: 'unknown signal ""' });
  t.throws(() => parseSignal('SIG'), { message: 'unknown signal "SIG"' });
  t.throws(() => parseSignal('9x'), { message: 'unknown signal "9x"' });
  t.throws(() => parseSignal('constructor'), { message: 'unknown signal "constructor"' });
});

t.test('signalName', async (t) => {
  t.equal(signalName(9), 'SIGKILL');
  t.equal(signalName(6), 'SIGABRT');
  t.equal(signalName(17), 'SIGCHLD');
  t.equal(signalName(29), 'SIGIO');
  t.equal(signalName(34), 'SIGRTMIN');
  t.equal(signalName(35), 'SIGRTMIN+1');
  t.equal(signalName(49), 'SIGRTMIN+15');
  t.equal(signalName(50), 'SIGRTMAX-14');
  t.equal(signalName(64), 'SIGRTMAX');
  t.throws(() => signalName(0));
  t.throws(() => signalName(32));
  t.throws(() => signalName(65));
  for (let n = 1; n <= 64; n++) {
    if (n === 32 || n === 33) continue;
    t.equal(parseSignal(signalName(n)), n, `round trip ${n}`);
  }
  const all = allSignalNames();
  t.equal(all.length, 62);
  t.equal(all[0], 'SIGHUP');
  t.equal(all[all.length - 1], 'SIGRTMAX');
});

t.test('every name runc accepts (Go\'s linux/amd64 signal table), with and without SIG, any case; every number 0..64', async (t) => {
  const runcNames = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
    'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
    'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];
  runcNames.forEach((name, i) => {
    const n = i + 1;
    for (const spelling of [name, name.slice(3), name.toLowerCase(), name.slice(3).toLowerCase()]) t.equal(parseSignal(spelling), n, spelling);
  });
  for (let n = 0; n <= 64; n++) t.equal(parseSignal(String(n)), n);
});
