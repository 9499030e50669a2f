import { contentHash, createSentText } from './sent-text';

describe('createSentText', () => {
  it('gives back exactly what was appended, across the joins (lone surrogates and all)', () => {
    const sent = createSentText();
    const pieces = Array.from({ length: 200 }, (_, index) => (index === 70 ? '\ud83d' : index === 71 ? '\ude00 é ' : `t${index} `));
    let expected = '';
    pieces.forEach((piece, index) => {
      sent.append(piece);
      expected += piece;
      expect(sent.length).toBe(expected.length);
      if (index % 37 === 0) expect(sent.text()).toBe(expected);
    });
    expect(sent.text()).toBe(expected);
    expect(sent.text()).toContain('😀');
  });

  it('starts empty', () => {
    expect(createSentText().text()).toBe('');
    expect(createSentText().length).toBe(0);
  });
});

describe('contentHash', () => {
  it('is the same for the same content and differs for other content', () => {
    expect(contentHash('hello')).toBe(contentHash('hello'));
    expect(contentHash('hello')).not.toBe(contentHash('hellp'));
    expect(contentHash('')).not.toBe(contentHash('\u0000'));
    expect(contentHash('ab')).not.toBe(contentHash('ba'));
  });
});
