import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A line chart over axes: the experiment tracking sidebar's icon.
 */
const chartSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7.5 15.6 6.1 14.2l4.4-4.4 3 3 5.4-5.4 1.4 1.4-6.8 6.8-3-3z"/>
  </g>
</svg>`;

/**
 * The icon of the experiment tracking sidebar.
 */
export const amlIcon = new LabIcon({
  name: 'jupyterlab-aml:chart',
  svgstr: chartSvg
});
