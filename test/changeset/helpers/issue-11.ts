// The file of issue 11: table t with 2 columns and an UPDATE, then t again with 8 columns and an
// UPDATE. SQLite's applyChangeset dies on it with SIGSEGV (3.40 and 3.53); the codec refuses it.
export const CRASHER = Buffer.from('540201007400170001000000000000000103036f6c640003036e657754080100000000000000740017000100000000000000010000000000000000000000000000010000000000000002', 'hex');
