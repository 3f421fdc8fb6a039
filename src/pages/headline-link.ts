/** One entry of the demos page's headline links (demos/src/headline.json, written by `npm run share -- --headline`). */
export interface HeadlineLink {
  id: string;
  title: string;
  what: string;
  source: string;
  row: string;
  /** Full-benchmark accuracy of the scoreboard row (results/ordered-mnist/scoreboard.json). */
  benchmarkAccuracy: number;
  stream: 'benchmark' | 'episode';
  fragment: string;
  fragmentChars: number;
}
