// HOME as runc sets it: from the container's /etc/passwd for the process's uid when the env
// lacks a non-empty HOME, else "/".
import t from 'tap';
import home from '../../dist/lib/linux/home.js';

const { envWithHome, homeOf } = home;
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n# comment\nuser:x:1000:1000::/home/user:/bin/sh\nbad:x:12x:0::/nope:/bin/sh\n';

t.equal(homeOf(PASSWD, 0), '/root');
t.equal(homeOf(PASSWD, 1000), '/home/user');
t.equal(homeOf(PASSWD, 12), null, 'a malformed uid field matches nothing');
t.same(envWithHome(['PATH=/bin'], 0, PASSWD), ['PATH=/bin', 'HOME=/root'], 'added from passwd');
t.same(envWithHome(['PATH=/bin'], 1234, PASSWD), ['PATH=/bin', 'HOME=/'], 'uid without an entry: /');
t.same(envWithHome(['PATH=/bin'], 0, null), ['PATH=/bin', 'HOME=/'], 'no passwd: /');
t.same(envWithHome(['HOME=/x', 'A=b'], 0, PASSWD), ['HOME=/x', 'A=b'], 'an env HOME is kept');
t.same(envWithHome(['HOME=', 'A=b'], 1000, PASSWD), ['A=b', 'HOME=/home/user'], 'an empty HOME counts as unset');
