// Project files: round trip, field-level errors, future versions, migration, atomic saves, photo
// checks and autosave recovery.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import type { Project } from '../../shared/project/schema';
import type { KeyframeId } from '../../shared/timeline/model';
import { autosavePath, autosaveProject, loadProject, recoverAutosave, relocatePhoto, saveProject, sha256File } from './project-file';

function setup(): { dir: string; file: string; project: Project } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-project-'));
  fs.writeFileSync(path.join(dir, 'photo.jpg'), 'pretend photo bytes');
  const project: Project = {
    schemaVersion: 2,
    photo: { path: 'photo.jpg', sha256: sha256File(path.join(dir, 'photo.jpg')), width: 640, height: 480 },
    faces: [{
      id: 0, box: { x: 1, y: 2, width: 100, height: 120 }, landmarks: Array.from({ length: 68 }, (_, i) => [i, i] as [number, number]),
      sourceAus: AU_ORDER.map(() => 0.1), modelId: 'default',
      tracks: { AU12: [{ id: 'a' as KeyframeId, time: 0, value: 0.1, easing: 'smooth' }, { id: 'b' as KeyframeId, time: 2, value: 0.9, easing: 'linear' }] },
    }],
    duration: 4, fps: 30,
    output: { format: 'mp4', size: 'original', quality: 80, range: null, audioPath: null },
  };
  return { dir, file: path.join(dir, 'scene.json'), project };
}

describe('project files', () => {
  it('round-trip through an atomic save', () => {
    const { file, project } = setup();
    saveProject(file, project);
    expect(loadProject(file)).toEqual(project);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['photo.jpg', 'scene.json']);
  });
  it('name the wrong field, refuse newer versions and non-JSON', () => {
    const { file, project } = setup();
    const bad = structuredClone(project) as unknown as { faces: { sourceAus: unknown[] }[] };
    bad.faces[0].sourceAus[3] = 7;
    fs.writeFileSync(file, JSON.stringify(bad));
    expect(() => loadProject(file)).toThrow(/scene\.json: faces\[0\]\.sourceAus\[3\]: .*1/);
    fs.writeFileSync(file, JSON.stringify({ ...project, schemaVersion: 9 }));
    expect(() => loadProject(file)).toThrow(/made by a newer GANimation Studio \(project version 9/);
    fs.writeFileSync(file, '{ not json');
    expect(() => loadProject(file)).toThrow(/scene\.json is not a project file/);
  });
  it('migrate version 1 files, keeping their keyframes', () => {
    const { file, project } = setup();
    const v1 = {
      schemaVersion: 1, photo: project.photo, duration: 3, fps: 25,
      faces: [{ id: 0, box: project.faces[0].box, landmarks: project.faces[0].landmarks, sourceAus: AU_ORDER.map(() => 1), model: 'default', keys: [{ au: 'AU12', time: 1, value: 4, easing: 'linear' }, { au: 'AU12', time: 0, value: 0, easing: 'hold' }] }],
    };
    fs.writeFileSync(file, JSON.stringify(v1));
    const migrated = loadProject(file);
    expect(migrated.schemaVersion).toBe(2);
    expect(migrated.faces[0].sourceAus[0]).toBeCloseTo(0.2);
    expect(migrated.faces[0].tracks.AU12!.map((k) => [k.time, k.value, k.easing])).toEqual([[0, 0, 'hold'], [1, 0.8, 'linear']]);
  });
  it('detect a missing or changed photo and relocate it', () => {
    const { dir, file, project } = setup();
    saveProject(file, project);
    fs.renameSync(path.join(dir, 'photo.jpg'), path.join(dir, 'moved.jpg'));
    expect(() => loadProject(file)).toThrow(/photo\.jpg is missing; relocate it/);
    const relocated = relocatePhoto(file, project, path.join(dir, 'moved.jpg'));
    saveProject(file, relocated);
    expect(loadProject(file).photo.path).toBe('moved.jpg');
    fs.writeFileSync(path.join(dir, 'moved.jpg'), 'edited photo');
    expect(() => loadProject(file)).toThrow(/has changed since the project was saved/);
  });
  it('never damage the saved file when a save fails, and recover an autosave after a crash', () => {
    const { file, project } = setup();
    saveProject(file, project);
    const before = fs.readFileSync(file, 'utf8');
    const spy = vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    });
    expect(() => saveProject(file, { ...project, duration: 9 })).toThrow(/could not write .*scene\.json/);
    spy.mockRestore();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('tmp'))).toEqual([]);
    const later = new Date(Date.now() + 5000);
    autosaveProject(file, { ...project, duration: 7 });
    fs.utimesSync(autosavePath(file), later, later);
    expect(recoverAutosave(file)?.duration).toBe(7);
    saveProject(file, project);
    expect(recoverAutosave(file)).toBeNull();
  });
});
