<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Form\FormUtil;
use Oro\Bundle\ApiBundle\Processor\CustomizeFormData\CustomizeFormDataContext;
use Oro\Bundle\ApiBundle\Request\Constraint;
use Oro\Bundle\IntegrationBundle\Manager\TypesRegistry;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Symfony\Component\Security\Core\Authorization\AuthorizationCheckerInterface;
use Symfony\Component\Security\Core\Exception\AccessDeniedException;

/**
 * Refuses a sync that Oro would accept and then never run, before anything is scheduled.
 *
 * - The user must be allowed to EDIT the integration: the "Schedule Sync" route is guarded by
 *   #[AclAncestor('oro_integration_update')] on the integration it gets (oroinc/platform
 *   src/Oro/Bundle/IntegrationBundle/Controller/IntegrationController.php::scheduleAction). The resource's
 *   acl_resource checks the class only; this checks the object, as ApiBundle's own object access checks do.
 * - The integration must be enabled: the button does not schedule a disabled one (same action), and
 *   IntegrationBundle/Async/SyncIntegrationProcessor.php::process rejects the message of a disabled one,
 *   which would leave its job "new" until it goes stale.
 * - "connector" must be a connector type registered for the integration's type
 *   (IntegrationBundle/Manager/TypesRegistry.php): IntegrationBundle/Provider/SyncProcessor.php runs only the
 *   connectors of the integration that match it, so an unknown name runs nothing and still ends "success".
 *
 * It runs on the "post_validate" event of "customize_form_data", the place Oro's documentation gives to
 * validation rules too complex for a constraint, and adds its errors with FormUtil::addNamedFormError, so
 * they answer 400 with a pointer to the field (ApiBundle/Form/FormUtil.php).
 */
class ValidateIntegrationSync implements ProcessorInterface
{
    private TypesRegistry $typesRegistry;
    private AuthorizationCheckerInterface $authorizationChecker;

    public function __construct(TypesRegistry $typesRegistry, AuthorizationCheckerInterface $authorizationChecker)
    {
        $this->typesRegistry = $typesRegistry;
        $this->authorizationChecker = $authorizationChecker;
    }

    public function process(ContextInterface $context): void
    {
        /** @var CustomizeFormDataContext $context */

        $form = $context->getForm();
        if (!FormUtil::isSubmittedAndValid($form)) {
            return;
        }
        $sync = $form->getData();
        if (!$sync instanceof IntegrationSync || null === $sync->getIntegration()) {
            return;
        }
        $integration = $sync->getIntegration();
        if (!$this->authorizationChecker->isGranted('EDIT', $integration)) {
            throw new AccessDeniedException('No access to schedule a sync of this integration.');
        }
        if (!$integration->isEnabled()) {
            FormUtil::addNamedFormError(
                $form,
                'integration constraint',
                'The integration is disabled.',
                'integration'
            );
        }
        $connector = $sync->getConnector();
        if (null !== $connector) {
            $types = array_keys($this->typesRegistry->getAvailableConnectorsTypesChoiceList($integration->getType()));
            if (!\in_array($connector, $types, true)) {
                sort($types);
                FormUtil::addNamedFormError(
                    $form,
                    Constraint::VALUE,
                    sprintf(
                        'The connector "%s" is not a connector of "%s" integrations. Known connectors: %s.',
                        $connector,
                        $integration->getType(),
                        implode(', ', $types)
                    ),
                    'connector'
                );
            }
        }
    }
}
