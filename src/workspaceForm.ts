/**
 * The "Add workspace" form as data: its fields, their checks, and the request
 * body they make. Pure functions, no DOM; the server still has the last word
 * (it answers 400/409 with a message the dialog shows).
 */

import {
  AddWorkspaceRequest,
  AZURE_CLOUDS,
  AZURE_CREDENTIALS,
  AzureCredentialKind,
  IDetectedWorkspace
} from './tokens';

/**
 * How an MLflow server is signed in to.
 */
export type MlflowAuth = 'none' | 'token' | 'basic';

/**
 * Every field of the form, as the user typed it.
 */
export interface IWorkspaceFormValues {
  kind: 'mlflow' | 'azureml';
  name: string;
  // mlflow
  uri: string;
  auth: MlflowAuth;
  token: string;
  username: string;
  password: string;
  // azureml
  subscription_id: string;
  resource_group: string;
  workspace_name: string;
  /** `custom`: no named cloud; the ARM endpoint is its own audience (Azure Stack, air-gapped). */
  cloud: (typeof AZURE_CLOUDS)[number] | typeof CUSTOM_CLOUD;
  tenant_id: string;
  credential: AzureCredentialKind;
  arm_endpoint: string;
  authority_host: string;
  token_scope: string;
}

/**
 * The cloud choice for clouds that are not one of Azure's named ones.
 */
export const CUSTOM_CLOUD = 'custom';

/**
 * A field of the form.
 */
export type WorkspaceField = keyof IWorkspaceFormValues;

/**
 * The form's messages per field; empty when the form can be sent.
 */
export type WorkspaceFormErrors = Partial<Record<WorkspaceField, string>>;

/**
 * The empty form: an MLflow server without auth, or Azure's public cloud and
 * the default credential chain.
 */
export function emptyWorkspaceForm(): IWorkspaceFormValues {
  return {
    kind: 'mlflow',
    name: '',
    uri: '',
    auth: 'none',
    token: '',
    username: '',
    password: '',
    subscription_id: '',
    resource_group: '',
    workspace_name: '',
    cloud: 'AzureCloud',
    tenant_id: '',
    credential: 'default',
    arm_endpoint: '',
    authority_host: '',
    token_scope: ''
  };
}

/**
 * The names the server accepts (as `registry.py` checks them).
 */
export const WORKSPACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Names the server keeps for itself.
 */
const RESERVED_NAMES = new Set(['local', 'active']);

/**
 * The fields the form shows for a kind (and auth, for MLflow).
 */
export function visibleFields(values: IWorkspaceFormValues): WorkspaceField[] {
  if (values.kind === 'mlflow') {
    const auth: Record<MlflowAuth, WorkspaceField[]> = {
      none: [],
      token: ['token'],
      basic: ['username', 'password']
    };
    return ['kind', 'name', 'uri', 'auth', ...auth[values.auth]];
  }
  return [
    'kind',
    'name',
    'subscription_id',
    'resource_group',
    'workspace_name',
    'cloud',
    'tenant_id',
    'credential',
    'arm_endpoint',
    'authority_host',
    'token_scope'
  ];
}

/**
 * Check the form; the errors per field (none when it can be sent).
 *
 * URL formats are left to the server, which says precisely what is wrong.
 */
export function validateWorkspaceForm(
  values: IWorkspaceFormValues,
  existing: readonly string[] = []
): WorkspaceFormErrors {
  const errors: WorkspaceFormErrors = {};
  const name = values.name.trim();
  if (!name) {
    errors.name = 'Give the workspace a name.';
  } else if (!WORKSPACE_NAME_PATTERN.test(name)) {
    errors.name =
      "Use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.";
  } else if (RESERVED_NAMES.has(name)) {
    errors.name = `"${name}" is reserved.`;
  } else if (existing.includes(name)) {
    errors.name = `A workspace named "${name}" already exists.`;
  }
  const required = (field: WorkspaceField, message: string) => {
    if (!String(values[field]).trim()) {
      errors[field] = message;
    }
  };
  if (values.kind === 'mlflow') {
    required(
      'uri',
      'The tracking server address, e.g. https://mlflow.example.com'
    );
    if (values.auth === 'token') {
      required('token', 'Enter the token, or choose no authentication.');
    } else if (values.auth === 'basic') {
      required('username', 'Enter the user name.');
      required('password', 'Enter the password.');
    }
  } else {
    required('subscription_id', 'Enter the subscription id.');
    required('resource_group', 'Enter the resource group.');
    required('workspace_name', 'Enter the Azure ML workspace name.');
    if (values.cloud === CUSTOM_CLOUD) {
      required(
        'arm_endpoint',
        'A custom cloud needs its ARM endpoint (under Advanced).'
      );
    } else if (!(AZURE_CLOUDS as readonly string[]).includes(values.cloud)) {
      errors.cloud = 'Choose a cloud.';
    }
    if (!(AZURE_CREDENTIALS as readonly string[]).includes(values.credential)) {
      errors.credential = 'Choose a credential.';
    }
  }
  return errors;
}

/**
 * The `POST api/workspaces` body of a valid form: only the kind's fields, and
 * optional ones only when given. Secrets appear here and nowhere else.
 */
export function workspaceRequest(
  values: IWorkspaceFormValues
): AddWorkspaceRequest {
  const name = values.name.trim();
  if (values.kind === 'mlflow') {
    return {
      name,
      kind: 'mlflow',
      uri: values.uri.trim(),
      ...(values.auth === 'token' ? { token: values.token } : {}),
      ...(values.auth === 'basic'
        ? { username: values.username.trim(), password: values.password }
        : {})
    };
  }
  const optional = (
    ['tenant_id', 'arm_endpoint', 'authority_host', 'token_scope'] as const
  ).filter(field => values[field].trim());
  return {
    name,
    kind: 'azureml',
    subscription_id: values.subscription_id.trim(),
    resource_group: values.resource_group.trim(),
    workspace_name: values.workspace_name.trim(),
    // A custom cloud names none: the server then takes the scope from the ARM endpoint.
    ...(values.cloud === CUSTOM_CLOUD ? {} : { cloud: values.cloud }),
    credential: values.credential,
    ...Object.fromEntries(optional.map(f => [f, values[f].trim()]))
  };
}

/**
 * The body that adds a detected workspace as is, with the default credential chain.
 */
export function detectedRequest(
  detected: IDetectedWorkspace
): AddWorkspaceRequest {
  return {
    name: detected.name,
    kind: 'azureml',
    subscription_id: detected.subscription_id,
    resource_group: detected.resource_group,
    workspace_name: detected.workspace_name,
    credential: 'default'
  };
}
