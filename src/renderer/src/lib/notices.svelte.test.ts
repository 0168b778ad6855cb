// Notices: the same error twice in a row shows once, the oldest gives way past MAX_NOTICES, details
// are kept, and dismissing removes only that notice.
import { describe, expect, it } from 'vitest';
import { MAX_NOTICES, Notices } from './notices.svelte';

describe('Notices', () => {
  it('shows a repeated error once, keeps the newest few with their details, and dismisses one', () => {
    const notices = new Notices();
    notices.fail({ message: 'a' });
    notices.fail({ message: 'a' });
    expect(notices.list.map((n) => n.message)).toEqual(['a']);
    for (const message of ['b', 'c', 'd', 'e']) notices.fail({ message, details: `${message} log` });
    expect(notices.list.map((n) => n.message)).toEqual(['b', 'c', 'd', 'e'].slice(-MAX_NOTICES));
    expect(notices.list.at(-1)?.details).toBe('e log');
    notices.dismiss(notices.list[1].id);
    expect(notices.list.map((n) => n.message)).toEqual(['b', 'd', 'e']);
    notices.say('Engines ready');
    expect(notices.status).toBe('Engines ready');
  });

  it('shows a standing warning once while it is listed, and again once dismissed', () => {
    const notices = new Notices();
    notices.warn('face 0: not warped');
    notices.fail({ message: 'other' });
    notices.warn('face 0: not warped');
    expect(notices.list.map((n) => n.message)).toEqual(['face 0: not warped', 'other']);
    notices.dismiss(notices.list[0].id);
    notices.warn('face 0: not warped');
    expect(notices.list.map((n) => n.message)).toEqual(['other', 'face 0: not warped']);
  });
});
