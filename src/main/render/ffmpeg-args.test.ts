import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs, outputDimensions } from './ffmpeg-args';
import { ProgressParser } from './ffmpeg-progress';

const base = { width: 1921, height: 1081, fps: 30, outputSize: 'original' as const, quality: 80, outputPath: '/out/v.mp4' };

describe('buildFfmpegArgs', () => {
  it('encodes H.264 yuv420p with even dimensions and maps quality to CRF', () => {
    const args = buildFfmpegArgs({ ...base, format: 'mp4' }, '/out/.tmp.mp4');
    expect(args.join(' ')).toContain('-f rawvideo -pix_fmt yuv420p -s 1921x1081 -r 30 -i pipe:0');
    expect(args.join(' ')).toContain('-vf scale=1920:1080:flags=lanczos -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p');
    expect(args[args.length - 1]).toBe('/out/.tmp.mp4');
  });
  it('scales down to 720p, never up, and muxes audio for mp4', () => {
    expect(outputDimensions({ ...base, format: 'mp4', outputSize: '720p' })).toEqual([1278, 720]);
    expect(outputDimensions({ width: 640, height: 480, format: 'gif', outputSize: '1080p' })).toEqual([640, 480]);
    const args = buildFfmpegArgs({ ...base, format: 'mp4', audioPath: '/a.wav' }, 'o.mp4').join(' ');
    expect(args).toContain('-i /a.wav');
    expect(args).toContain('-c:a aac');
  });
  it('uses a palette pass for GIF and an image sequence for PNG', () => {
    expect(buildFfmpegArgs({ ...base, format: 'gif' }, 'o.gif').join(' ')).toContain('palettegen');
    expect(buildFfmpegArgs({ ...base, format: 'gif' }, 'o.gif').join(' ')).toContain('-pix_fmt rgb24 -s 1921x1081');
    expect(buildFfmpegArgs({ ...base, format: 'png' }, '/tmp/frames').join(' ')).toContain('-pix_fmt rgb24 -s 1921x1081');
    expect(buildFfmpegArgs({ ...base, format: 'png' }, '/tmp/frames').pop()).toBe('/tmp/frames/frame_%05d.png');
    expect(buildFfmpegArgs({ ...base, format: 'webm' }, 'o.webm').join(' ')).toContain('-c:v libvpx-vp9 -b:v 0 -crf');
  });
});

describe('ProgressParser', () => {
  it('reads progress blocks split across chunks and keeps the tail of other lines', () => {
    const p = new ProgressParser(2);
    expect(p.push('Input #0, rawvideo\nfra')).toBeNull();
    expect(p.push('me=12\nfps=24.5\nprogress=continue\n')).toEqual({ framesEncoded: 12, fps: 24.5, done: false });
    expect(p.push('frame=30\nprogress=end\n')).toEqual({ framesEncoded: 30, fps: 24.5, done: true });
    p.push('Error one\nError two\nError three\n');
    expect(p.stderrTail()).toBe('Error two\nError three');
    expect(p.writeError()).toBeNull();
  });
  it('remembers the first write error, however much ffmpeg prints after it', () => {
    const p = new ProgressParser(2);
    p.push('[mp4 @ 0x1] Error writing trailer of /x/.out.mp4: No space left on device\n');
    p.push('a\nb\nc\nav_interleaved_write_frame(): File too large\n');
    expect(p.writeError()).toBe('[mp4 @ 0x1] Error writing trailer of /x/.out.mp4: No space left on device');
    expect(p.stderrTail()).not.toContain('trailer');
  });
});
