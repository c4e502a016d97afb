// A string identifying a row within a table: its primary-key values, type included and
// compared byte for byte (as sessionChangeEqual does), usable as a Map key.
import type { Change, SqlValue } from './types.ts';

const scratch = new DataView(new ArrayBuffer(8));

function valueKey(v: SqlValue): string {
  switch (v.type) {
    case 'integer':
      return `i${v.value}`;
    case 'real':
      scratch.setFloat64(0, v.value);
      return `r${scratch.getBigUint64(0).toString(16)}`;
    case 'text':
    case 'blob':
      return `${v.type[0]}${v.value.length}:${Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('latin1')}`;
    case 'null':
      return 'n';
    case 'undefined':
      return 'u';
  }
}

/** The key of the row a change touches: from new.* for an INSERT, old.* otherwise. */
export function rowKey(change: Change): string {
  const values = change.op === 'INSERT' ? change.new! : change.old!;
  const pk = change.table.pk;
  let key = '';
  for (let i = 0; i < pk.length; i++) if (pk[i]) key += valueKey(values[i]!) + '\u0000';
  return key;
}
