/** Time as FreeSWITCH prints it in events, variables and logs. */

/** The current time in µs, as `Event-Date-Timestamp` has it. */
export function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `%Y-%m-%d %T` in local time, as Event-Date-Local and the *_stamp variables. */
export function localStamp(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
