/** White-space handling shared by the indicator parsers. */

/** White space accepted around an indicator: ASCII space, tab, CR, LF, and a byte order mark. */
export function isEdgeSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a || code === 0xfeff;
}

/** Removes edge white space (see isEdgeSpace) and nothing else: a no-break space stays and is an error. */
export function trimEdges(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isEdgeSpace(value.charCodeAt(start))) start++;
  while (end > start && isEdgeSpace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
