import './base.css';
import './runs.css';
import './charts.css';
import './compare.css';
