// The list of commands, in the order --help shows them. One line per command module.
import type { Command } from 'commander';
import { registerInit } from './init.ts';
import { registerStatus } from './status.ts';
import { registerDiff } from './diff.ts';
import { registerCommit } from './commit.ts';
import { registerExec } from './exec.ts';
import { registerLog } from './log.ts';
import { registerShow } from './show.ts';
import { registerRevert } from './revert.ts';
import { registerCheckout } from './checkout.ts';
import { registerVerify } from './verify.ts';
import { registerChangeset } from './changeset.ts';
import { registerRemote } from './remote.ts';
import { registerPush } from './push.ts';
import { registerPull } from './pull.ts';
import { registerSync } from './sync.ts';
import { registerClone } from './clone.ts';
import { registerConflicts } from './conflicts.ts';
import { registerServe } from './serve.ts';

export const commands: Array<(program: Command) => void> = [
  registerInit,
  registerStatus,
  registerDiff,
  registerCommit,
  registerExec,
  registerLog,
  registerShow,
  registerRevert,
  registerCheckout,
  registerVerify,
  registerChangeset,
  registerRemote,
  registerPush,
  registerPull,
  registerSync,
  registerClone,
  registerConflicts,
  registerServe,
];
