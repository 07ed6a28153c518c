import './base.css';
import './workspaces.css';
import './runs.css';
import './runDetail.css';
import './charts.css';
import './compare.css';
