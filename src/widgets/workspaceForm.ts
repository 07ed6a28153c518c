import { Widget } from '@lumino/widgets';

import { AZURE_CLOUDS, AZURE_CREDENTIALS } from '../tokens';
import {
  CUSTOM_CLOUD,
  emptyWorkspaceForm,
  IWorkspaceFormValues,
  visibleFields,
  WorkspaceField,
  WorkspaceFormErrors
} from '../workspaceForm';
import { h } from './dom';

/**
 * The labels of the credential choices.
 */
const CREDENTIAL_LABELS: Record<IWorkspaceFormValues['credential'], string> = {
  default: 'Default chain (environment, managed identity, Azure CLI, …)',
  cli: 'Azure CLI (az login)',
  managed_identity: 'Managed identity',
  environment: 'Service principal from environment variables',
  device_code: 'Device code (sign in from the sidebar)'
};

/**
 * The body of the "Add workspace" dialog: a kind selector and the kind's
 * fields, with a message under each field and one for the server's answer.
 * It holds no request code: the dialog sends `values` and shows the outcome.
 */
export class WorkspaceFormWidget extends Widget {
  /**
   * Create the form, empty or with `initial` values.
   */
  constructor(initial: Partial<IWorkspaceFormValues> = {}) {
    super({ node: h('form', { class: 'jp-aml-workspace-form' }) });
    const values = { ...emptyWorkspaceForm(), ...initial };
    const form = this.node as HTMLFormElement;
    // The dialog's buttons submit; a native submit would reload the page.
    form.addEventListener('submit', event => event.preventDefault());
    form.append(
      this._field(
        'kind',
        'Kind',
        this._select('kind', [
          ['mlflow', 'MLflow tracking server'],
          ['azureml', 'Azure Machine Learning']
        ])
      ),
      this._field('name', 'Name', this._input('name', 'e.g. team-server')),
      this._field(
        'uri',
        'Tracking URI',
        this._input('uri', 'https://mlflow.example.com', 'url')
      ),
      this._field(
        'auth',
        'Authentication',
        this._select('auth', [
          ['none', 'None'],
          ['token', 'Bearer token'],
          ['basic', 'User name and password']
        ])
      ),
      this._field('token', 'Token', this._input('token', '', 'password')),
      this._field('username', 'User name', this._input('username', '')),
      this._field(
        'password',
        'Password',
        this._input('password', '', 'password')
      ),
      this._field(
        'subscription_id',
        'Subscription id',
        this._input('subscription_id', '00000000-0000-0000-0000-000000000000')
      ),
      this._field(
        'resource_group',
        'Resource group',
        this._input('resource_group', '')
      ),
      this._field(
        'workspace_name',
        'Workspace name',
        this._input('workspace_name', 'as in Azure ML studio')
      ),
      this._field(
        'cloud',
        'Cloud',
        this._select('cloud', [
          ...AZURE_CLOUDS.map(c => [c, c] as [string, string]),
          [
            CUSTOM_CLOUD,
            'Custom (Azure Stack, air-gapped): endpoints under Advanced'
          ]
        ])
      ),
      this._field(
        'tenant_id',
        'Tenant id (optional)',
        this._input('tenant_id', 'the default tenant of the credential')
      ),
      this._field(
        'credential',
        'Credential',
        this._select(
          'credential',
          AZURE_CREDENTIALS.map(c => [c, CREDENTIAL_LABELS[c]])
        )
      ),
      this._advanced,
      this._serverError
    );
    this._advanced.append(
      h('summary', {}, 'Advanced: custom cloud endpoints'),
      this._field(
        'arm_endpoint',
        'ARM endpoint',
        this._input('arm_endpoint', 'https://management.example.com', 'url')
      ),
      this._field(
        'authority_host',
        'Authority host',
        this._input('authority_host', 'https://login.example.com', 'url')
      ),
      this._field(
        'token_scope',
        'Token scope (optional)',
        this._input('token_scope', '{ARM endpoint}/.default')
      )
    );
    this.values = values;
    this.serverError = null;
    form.addEventListener('change', this._onChange);
    form.addEventListener('input', this._onInput);
  }

  /** The fields as the user set them. */
  get values(): IWorkspaceFormValues {
    const values = emptyWorkspaceForm() as unknown as Record<string, string>;
    for (const [field, control] of this._controls) {
      values[field] = control.value;
    }
    return values as unknown as IWorkspaceFormValues;
  }
  set values(values: IWorkspaceFormValues) {
    for (const [field, control] of this._controls) {
      control.value = String(values[field]);
    }
    this._showFields();
  }

  /** Whether a request is on its way: fields are read-only meanwhile. */
  get busy(): boolean {
    return this.node.getAttribute('aria-busy') === 'true';
  }
  set busy(value: boolean) {
    this.node.setAttribute('aria-busy', String(value));
    for (const control of this._controls.values()) {
      control.disabled = value;
    }
  }

  /** The server's message (HTTP 400/409), shown above the buttons; null hides it. */
  get serverError(): string | null {
    return this._serverError.hidden ? null : this._serverError.textContent;
  }
  set serverError(message: string | null) {
    this._serverError.textContent = message ?? '';
    this._serverError.hidden = message === null;
  }

  /**
   * What the dialog returns when accepted.
   */
  getValue(): IWorkspaceFormValues {
    return this.values;
  }

  /**
   * Show a message under each field in `errors` (and clear the others);
   * focus the first field in error.
   */
  showErrors(errors: WorkspaceFormErrors): void {
    let first: HTMLElement | null = null;
    for (const [field, control] of this._controls) {
      const message = errors[field] ?? '';
      const note = this._notes.get(field)!;
      note.textContent = message;
      note.hidden = !message;
      control.setAttribute('aria-invalid', String(!!message));
      control.classList.toggle('jp-aml-mod-invalid', !!message);
      if (message && !first) {
        first = control;
      }
    }
    first?.focus();
  }

  private _field(
    field: WorkspaceField,
    label: string,
    control: HTMLInputElement | HTMLSelectElement
  ): HTMLElement {
    const id = `${this._prefix}-${field}`;
    const note = h('div', {
      class: 'jp-aml-field-error',
      id: `${id}-error`,
      role: 'alert'
    });
    note.hidden = true;
    control.id = id;
    control.setAttribute('aria-describedby', note.id);
    this._controls.set(field, control);
    this._notes.set(field, note);
    const row = h(
      'div',
      { class: 'jp-aml-field', 'data-field': field },
      h('label', { for: id }, label),
      control,
      note
    );
    this._rows.set(field, row);
    return row;
  }

  private _input(
    name: string,
    placeholder: string,
    kind: 'text' | 'password' | 'url' = 'text'
  ): HTMLInputElement {
    // No `required`/`type=url`: Dialog disables its buttons while any input
    // is `:invalid`, without saying why; the form says why instead.
    return h('input', {
      class: 'jp-mod-styled',
      name,
      type: kind === 'password' ? 'password' : 'text',
      inputmode: kind === 'url' ? 'url' : undefined,
      autocomplete: kind === 'password' ? 'new-password' : 'off',
      spellcheck: 'false',
      placeholder: placeholder || undefined
    });
  }

  private _select(
    name: string,
    options: [string, string][]
  ): HTMLSelectElement {
    return h(
      'select',
      { class: 'jp-mod-styled', name },
      ...options.map(([value, text]) => h('option', { value }, text))
    );
  }

  /**
   * Show the fields of the chosen kind (and auth) only.
   */
  private _showFields(): void {
    const visible = new Set(visibleFields(this.values));
    for (const [field, row] of this._rows) {
      row.hidden = !visible.has(field);
    }
    this._advanced.hidden = !visible.has('arm_endpoint');
    this.node.dataset.kind = this._controls.get('kind')!.value;
  }

  private _onChange = (event: Event): void => {
    const name = (event.target as HTMLElement).getAttribute('name');
    if (name === 'kind' || name === 'auth') {
      this._showFields();
    }
  };

  private _onInput = (event: Event): void => {
    // Typing answers the message of that field and the server's one.
    const name = (event.target as HTMLElement).getAttribute('name');
    const note = name ? this._notes.get(name as WorkspaceField) : undefined;
    if (note && !note.hidden) {
      note.hidden = true;
      this._controls
        .get(name as WorkspaceField)!
        .setAttribute('aria-invalid', 'false');
    }
    this.serverError = null;
  };

  private _prefix = `jp-aml-ws-form-${Private.nextId()}`;
  private _controls = new Map<
    WorkspaceField,
    HTMLInputElement | HTMLSelectElement
  >();
  private _notes = new Map<WorkspaceField, HTMLElement>();
  private _rows = new Map<WorkspaceField, HTMLElement>();
  private _advanced = h('details', { class: 'jp-aml-field-advanced' });
  private _serverError = h('div', {
    class: 'jp-aml-form-error',
    role: 'alert'
  });
}

/**
 * Module private helpers.
 */
namespace Private {
  let counter = 0;

  /**
   * A page-unique number for element ids.
   */
  export function nextId(): number {
    return ++counter;
  }
}
