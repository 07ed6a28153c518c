/**
 * One colour per run, the same in every chart, the table and the parallel
 * coordinates, and kept while other runs come and go.
 *
 * Run colours name data, not the theme, so they are computed here rather than
 * taken from theme variables: mid-lightness OKLCH colours, which keep at least
 * 3:1 contrast against both a light and a dark background. Hues step by the
 * golden angle, so neighbours in the palette differ most; lightness
 * alternates to tell apart hues that come close after many runs.
 */

/**
 * The colour of palette slot `index` as `#rrggbb`.
 */
export function runColor(index: number): string {
  const i = Math.max(0, Math.floor(index));
  const hue = (250 + i * 137.508) % 360;
  const lightness = i % 2 === 0 ? 0.57 : 0.64;
  return Private.oklchToHex(lightness, 0.15, hue);
}

/**
 * The lowest palette slot none of `used` holds.
 */
export function freeColorSlot(used: Iterable<number>): number {
  const taken = new Set(used);
  let slot = 0;
  while (taken.has(slot)) {
    slot++;
  }
  return slot;
}

/**
 * WCAG relative luminance of a `#rrggbb` colour.
 */
export function relativeLuminance(hex: string): number {
  const channels = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map(c =>
    c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * WCAG contrast ratio of two `#rrggbb` colours.
 */
export function contrastRatio(a: string, b: string): number {
  const [high, low] = [relativeLuminance(a), relativeLuminance(b)].sort(
    (x, y) => y - x
  );
  return (high + 0.05) / (low + 0.05);
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * An OKLCH colour in sRGB, with the chroma lowered until it fits the gamut.
   */
  export function oklchToHex(l: number, c: number, hueDegrees: number): string {
    const h = (hueDegrees * Math.PI) / 180;
    for (let chroma = c; chroma >= 0; chroma -= 0.005) {
      const rgb = oklabToLinearSrgb(
        l,
        chroma * Math.cos(h),
        chroma * Math.sin(h)
      );
      if (rgb.every(v => v >= -1e-4 && v <= 1 + 1e-4)) {
        return '#' + rgb.map(v => toHexByte(encode(v))).join('');
      }
    }
    const grey = toHexByte(encode(l * l * l));
    return `#${grey}${grey}${grey}`;
  }

  function oklabToLinearSrgb(l: number, a: number, b: number): number[] {
    const l1 = Math.pow(l + 0.3963377774 * a + 0.2158037573 * b, 3);
    const m1 = Math.pow(l - 0.1055613458 * a - 0.0638541728 * b, 3);
    const s1 = Math.pow(l - 0.0894841775 * a - 1.291485548 * b, 3);
    return [
      4.0767416621 * l1 - 3.3077115913 * m1 + 0.2309699292 * s1,
      -1.2684380046 * l1 + 2.6097574011 * m1 - 0.3413193965 * s1,
      -0.0041960863 * l1 - 0.7034186147 * m1 + 1.707614701 * s1
    ];
  }

  function encode(linear: number): number {
    const v = Math.min(Math.max(linear, 0), 1);
    return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
  }

  function toHexByte(v: number): string {
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  }
}
