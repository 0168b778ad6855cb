// Parses ffmpeg's `-progress` key=value lines from stderr chunks (lines may split across chunks),
// keeps the tail of everything else for error messages, and remembers the first line that says the
// output could not be written: ffmpeg can print that (e.g. for its trailer on a full disk) and still
// exit with status 0, leaving a truncated file.

export interface FfmpegProgress {
  readonly framesEncoded: number;
  readonly fps: number;
  readonly done: boolean;
}

/** What ffmpeg prints when writing the output fails (disk full, size limit, I/O error, muxer failure). */
const WRITE_ERROR = /No space left on device|File too large|Input\/output error|Error writing trailer|av_interleaved_write_frame\(\)|Error submitting a packet to the muxer/i;

export class ProgressParser {
  private partial = '';
  private readonly tail: string[] = [];
  private state: FfmpegProgress = { framesEncoded: 0, fps: 0, done: false };
  private firstWriteError: string | null = null;

  constructor(private readonly tailLines = 20) {}

  /** Feeds a stderr chunk; returns the progress when a `progress=` line completed a block. */
  push(chunk: string): FfmpegProgress | null {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    let completed: FfmpegProgress | null = null;
    for (const line of lines) {
      const m = /^(\w+)=\s*(.*)$/.exec(line);
      if (m && ['frame', 'fps', 'progress', 'out_time_ms', 'out_time_us', 'out_time', 'total_size', 'speed', 'bitrate', 'dup_frames', 'drop_frames', 'stream_0_0_q'].includes(m[1])) {
        if (m[1] === 'frame') this.state = { ...this.state, framesEncoded: Number(m[2]) || 0 };
        else if (m[1] === 'fps') this.state = { ...this.state, fps: Number(m[2]) || 0 };
        else if (m[1] === 'progress') {
          this.state = { ...this.state, done: m[2] === 'end' };
          completed = this.state;
        }
      } else if (line.trim()) {
        if (!this.firstWriteError && WRITE_ERROR.test(line)) this.firstWriteError = line.trim();
        this.tail.push(line);
        if (this.tail.length > this.tailLines) this.tail.shift();
      }
    }
    return completed;
  }

  /** The first line in which ffmpeg said it could not write its output, if any. */
  writeError(): string | null {
    return this.firstWriteError;
  }

  /** The last non-progress lines ffmpeg printed. */
  stderrTail(): string {
    return [...this.tail, this.partial].filter(Boolean).join('\n');
  }
}
