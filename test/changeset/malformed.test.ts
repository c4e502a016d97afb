import { describe, it, expect } from 'vitest';
import { parseChangeset } from '../../src/changeset/index.ts';
import { ChangesetFormatError } from '../../src/errors/index.ts';

const T = 0x54;
const name = [0x74, 0]; // "t\0"
const int1 = [1, 0, 0, 0, 0, 0, 0, 0, 1];

function failure(bytes: number[]): ChangesetFormatError {
  try {
    parseChangeset(Uint8Array.from(bytes));
  } catch (e) {
    if (e instanceof ChangesetFormatError) return e;
    throw e;
  }
  throw new Error('parsed without an error');
}

describe('malformed input', () => {
  it.each([
    ['random bytes', [0x13, 0x37, 0x00], 0, /expected a table header/],
    ['a truncated header', [T, 2, 1], 2, /truncated primary-key flags/],
    ['a column count beyond SQLite’s limit', [T, 0x82, 0x80, 0x01, 1], 1, /claims 32769 columns/],
    ['no columns', [T, 0, ...name], 1, /claims 0 columns/],
    ['a varint that never ends', [T, 0xff, 0xff, 0xff], 1, /truncated varint/],
    ['a huge varint', [T, ...Array(9).fill(0xff)], 1, /too large/],
    ['a table name without NUL', [T, 1, 1, 0x74, 0x75], 3, /without a NUL terminator/],
    ['an unknown operation', [T, 1, 1, ...name, 0x13, 0, ...int1], 5, /unknown change operation 0x13/],
    ['an indirect flag of 2', [T, 1, 1, ...name, 0x12, 2, ...int1], 6, /indirect flag must be 0 or 1/],
    ['an unknown value type', [T, 1, 1, ...name, 0x12, 0, 0x07], 7, /unknown value type 0x07/],
    ['text longer than the file', [T, 1, 1, ...name, 0x12, 0, 3, 0x85, 0x80, 0x80, 0x01, 0x41], 7, /text of \d+ bytes runs past the end/],
    ['a cut 8-byte integer', [T, 1, 1, ...name, 0x12, 0, 1, 0, 0], 7, /truncated 8-byte number/],
    ['a missing record', [T, 2, 1, 0, ...name, 0x09, 0, ...int1], 17, /truncated: missing value type/],
    ['an undefined value in an INSERT', [T, 1, 1, ...name, 0x12, 0, 0], 7, /undefined value/],
    ['a patchset header in a changeset', [T, 1, 1, ...name, 0x50, 1, 1, ...name], 5, /patchset table header inside a changeset/],
    ['a change before any header', [0x12, 0], 0, /expected a table header/],
  ])('names the byte offset of %s', (_what, bytes, offset, message) => {
    const error = failure(bytes);
    expect(error.code).toBe('CHANGESET_MALFORMED');
    expect(error.exitCode).toBe(6);
    expect(error.offset).toBe(offset);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`at byte offset ${offset}`);
  });
});
