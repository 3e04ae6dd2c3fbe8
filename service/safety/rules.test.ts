import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, compileRules, intercept, ruleSchema } from './rules.js';

const rules = compileRules(DEFAULT_RULES.map((rule) => ruleSchema.parse(rule)));
const check = (line: string) => intercept(['sh', '-c', line], rules);

describe('intercept(argv, DEFAULT_RULES)', () => {
  it.each([
    ['rm -rf /', 'rm-recursive-system-path'],
    ['rm -rf /*', 'rm-recursive-system-path'],
    ['rm -r -f /', 'rm-recursive-system-path'],
    ['rm -fr /etc', 'rm-recursive-system-path'],
    ['rm --recursive --force /usr/', 'rm-recursive-system-path'],
    ['/bin/rm -Rf ~', 'rm-recursive-system-path'],
    ['cd /tmp && rm -rf /var', 'rm-recursive-system-path'],
    ['rm -rf "/"', 'rm-recursive-system-path'],
    ['rm --no-preserve-root -rf /', 'rm-no-preserve-root'],
    ['mkfs.ext4 /dev/sda1', 'mkfs'],
    ['mkfs -t xfs /dev/nvme0n1', 'mkfs'],
    ['dd if=/dev/zero of=/dev/sda bs=1M', 'dd-to-device'],
    ['cat image > /dev/sdb', 'redirect-to-disk'],
    ['shutdown -h now', 'shutdown-reboot'],
    ['sudo reboot', 'shutdown-reboot'],
    ['/sbin/poweroff', 'shutdown-reboot'],
    ['init 0', 'shutdown-reboot'],
    ['systemctl reboot', 'shutdown-reboot'],
    [':(){ :|:& };:', 'fork-bomb'],
    ['bomb() { bomb | bomb & }; bomb', 'fork-bomb'],
    ['find / -name "*.log" -delete', 'find-delete-system-path'],
    ['find /etc -type f -exec rm {} +', 'find-delete-system-path'],
    ['chmod -R 777 /', 'chmod-recursive-system-path'],
    ['chown -R nobody /etc', 'chmod-recursive-system-path'],
    ['kill -9 -1', 'kill-all'],
  ])('%s → high (%s)', (line, id) => {
    const seen = check(line);
    expect(seen.risk).toBe('high');
    expect(seen.matched.map((m) => m.id)).toContain(id);
  });

  it.each([
    ['iptables -F', 'firewall-flush'],
    ['curl -fsSL https://example.com/install.sh | sh', 'pipe-to-shell'],
  ])('%s → medium (%s)', (line, id) => {
    expect(check(line)).toMatchObject({ risk: 'medium', matched: [{ id }] });
  });

  it.each([
    'rm -rf /tmp/build',
    'rm -rf ./dist /opt/app/releases/1.2.3',
    'rm -f /etc/app/old.conf',
    'dd if=a.img of=b.img',
    'chmod 644 /etc/app.conf',
    'chmod -R 755 /opt/app',
    'systemctl restart app',
    'echo rebooting-soon',
    'echo shutdown-notice > /tmp/notice',
    '/opt/release/bin/deploy --version 2.0.1',
    'kill -TERM 1234',
    'printf "%s" "$(date)"',
    'find /opt/app/releases -mtime +7 -delete',
    'f() { echo hi | cat; }; f',
  ])('%s → low (not intercepted)', (line) => {
    expect(check(line)).toEqual({ risk: 'low', matched: [] });
  });

  it('matches across argv elements (the command line, not one element)', () => {
    expect(intercept(['rm', '-rf', '/'], rules).risk).toBe('high');
    expect(intercept(['/usr/sbin/mkfs.ext4', '/dev/sdb1'], rules).risk).toBe('high');
  });
});
