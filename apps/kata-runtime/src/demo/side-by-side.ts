/** Host and guest `uname -a` one above the other, the kernel release called out. */
export function sideBySide(host: string, guest: string): string {
  const release = (uname: string): string => uname.split(/\s+/)[2] ?? '?';
  const rows: Array<[string, string, string]> = [
    ['', 'kernel release', 'uname -a'],
    ['host', release(host), host],
    ['guest (container in a VM)', release(guest), guest],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  const verdict =
    release(host) === release(guest)
      ? 'The guest reports the host kernel: the container did NOT run in its own VM.'
      : 'Different kernels: the container ran in its own VM, under the guest kernel.';
  return `${lines.join('\n')}\n\n${verdict}\n`;
}
