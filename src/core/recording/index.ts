/** Recordings of ESL sessions (`.fsrec.jsonl`): the format, a recorder, and a reader. */
import { readFile } from 'node:fs/promises';
import { parseRecording, type Recording } from './format';

export {
  parseRecording,
  eventObject,
  RECORDING_FORMAT_VERSION,
  RecordingFormatError,
  type Recording,
  type RecordingHeader,
  type RecordedCommand,
  type RecordedEvent,
} from './format';
export { EslRecorder, type RecorderOptions, type RecorderStatus } from './recorder';
export { epochMs, tapCommands, type TappedCommand, type TappedFrame, type TappedReply } from './tap';

/** Reads a `.fsrec.jsonl` file (see parseRecording: a damaged file is read up to the damage). */
export async function loadRecording(path: string): Promise<Recording> {
  return parseRecording(await readFile(path, 'utf8'));
}
